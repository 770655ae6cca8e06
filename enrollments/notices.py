"""Notices to learners: enrolment, invitation, certificate issued.

Services call `notify_after_commit`; the task queue sends them (enrollments/tasks.py). The
recipients are read again when the task runs, so that nobody inactive or deleted by then,
or without an email address, is ever written to.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from enrollments.models import Certificate, Enrollment
from users.models import UserStatus

ENROLMENT = "enrolment"
INVITATION = "invitation"
CERTIFICATE = "certificate"
KINDS = (ENROLMENT, INVITATION, CERTIFICATE)
# Ids per queued task: a bulk enrolment of 100,000 people is 100 tasks, not one huge one.
TASK_BATCH = 1000


def notify_after_commit(kind: str, ids) -> None:
    """Queue the notices of `kind` for these enrolment (or certificate) ids once the
    transaction commits; nothing is queued if it rolls back."""
    from enrollments.tasks import send_learner_notices

    ids = [int(i) for i in ids]
    if kind not in KINDS:
        raise ValueError(f"Unknown notice: {kind!r}")
    for start in range(0, len(ids), TASK_BATCH):
        batch = ids[start : start + TASK_BATCH]
        transaction.on_commit(lambda batch=batch: send_learner_notices.enqueue(kind, batch))


def _learn_url() -> str:
    return f"{settings.SITE_URL}/learn/"


def _enrolment_messages(kind: str, ids: list[int]):
    enrollments = (
        Enrollment.objects.filter(id__in=ids, user__status=UserStatus.ACTIVE)
        .exclude(user__email="")
        .select_related("user", "course")
        .only("id", "user__first_name", "user__username", "user__email", "course__name")
    )
    for enrollment in enrollments:
        user, course = enrollment.user, enrollment.course
        if kind == INVITATION:
            subject = f"You are invited to {course.name}"
            body = f"You are invited to {course.name}. Accept the invitation on My learning:"
        else:
            subject = f"You have been enrolled in {course.name}"
            body = f"You are now enrolled in {course.name}. Start it on My learning:"
        yield (
            subject,
            f"Hello {user.get_short_name()},\n\n{body}\n\n{_learn_url()}\n",
            None,
            [user.email],
        )


def _certificate_messages(ids: list[int]):
    certificates = (
        Certificate.objects.filter(id__in=ids, enrollment__user__status=UserStatus.ACTIVE)
        .exclude(enrollment__user__email="")
        .select_related("enrollment__user", "enrollment__course")
    )
    for certificate in certificates:
        user, course = certificate.enrollment.user, certificate.enrollment.course
        yield (
            f"Your certificate for {course.name}",
            f"Hello {user.get_short_name()},\n\nWell done: your certificate for {course.name} "
            f"is ready. Download it from your certificates:\n\n{_learn_url()}certificates/\n\n"
            f"Anyone can check it with the code {certificate.verification_code} at "
            f"{settings.SITE_URL}/certificates/verify/{certificate.verification_code}\n",
            None,
            [user.email],
        )


def send_notices(kind: str, ids: list[int]) -> int:
    """Send now; returns how many went. Only to people active at this moment."""
    if kind == CERTIFICATE:
        messages = list(_certificate_messages(ids))
    else:
        messages = list(_enrolment_messages(kind, ids))
    if not messages:
        return 0
    return send_mass_mail(messages, fail_silently=False)
