"""Two organisations for the scoping matrix: the power user's own (A) and another (B).

Everything of B carries a unique marker word, so a response that leaks any of it can be
found by searching its bytes. A gets the same kinds of rows, so the pages under test have
something of their own to show.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group

from enrollments import services as enrollment_services
from enrollments.models import EnrollmentState
from imports import services as import_services
from imports.models import Progress
from lms_admin.plumbing.scoping import POWER_USER, TRAINING_ADMIN
from reports.models import ExportRecord
from users import services
from users.models import ReviewKind, ReviewPolicy, SegmentMembership
from users.selectors.reviews import Criteria
from users.tokens import token_create

PASSWORD = "correct-horse-battery-staple"
# Words that occur in org B's rows and nowhere else (not in A's, nor in any page's text).
B_MARKERS = (b"Borealis", b"Zorblatt", b"Quintavius", b"bsecret", b"BSECRET", b"BORQX")
# An id no table holds; org B's ids must answer exactly as it does.
MISSING = 987654321


@dataclass
class Side:
    organisation: object
    person: object
    power: object
    segment: object
    membership: object
    course: object
    section: object
    enrollment: object
    certificate: object
    job: object
    export: object
    token: object
    history_id: int
    review: object = None
    review_policy: object = None
    progress: object = None
    term: object = None


def _side(prefix: str, *, name: str, person_name: tuple[str, str], mark: str, by) -> Side:
    organisation = services.organisation_create(
        name=f"{name} Organisation",
        slug=f"{prefix}-org",
        sis_account_id=f"{mark}-ACCOUNT",
        by=by,
        reason="Test set-up",
    )
    first, last = person_name
    person = services.user_create(
        username=f"{prefix}learner",
        email=f"{prefix}learner@{prefix}.example",
        first_name=first,
        last_name=last,
        sis_user_id=f"SIS-{mark}-1",
        organisation=organisation,
        password=PASSWORD,
        by=by,
        reason="Test set-up",
    )
    services.user_update(person, first_name=first + "e", by=by, reason="Test set-up")
    services.user_update(person, first_name=first, by=by, reason="Test set-up")
    power = services.user_create(
        username=f"{prefix}power",
        email=f"{prefix}power@{prefix}.example",
        organisation=organisation,
        password=PASSWORD,
        is_staff=True,
        groups=[POWER_USER],
        by=by,
        reason="Test set-up",
    )
    segment = services.segment_create(
        name=f"{name} Segment", organisation=organisation, by=by, reason="Test set-up"
    )
    services.segment_add_members(
        segment, type(person).objects.filter(pk=person.pk), by=by, reason="Test set-up"
    )
    term = enrollment_services.term_create(
        name=f"{name} Term",
        sis_term_id=f"{mark}-TERM",
        organisation=organisation,
        by=by,
        reason="Test set-up",
    )
    course = enrollment_services.course_create(
        code=f"{mark}101",
        name=f"{name} Course",
        organisation=organisation,
        sis_course_id=f"SIS-{mark}-COURSE",
        term=term,
        by=by,
        reason="Test set-up",
    )
    section = enrollment_services.section_create(
        course, name=f"{name} Section", sis_section_id=f"SIS-{mark}-SECTION", by=by, reason="x"
    )
    # Marked "to be deleted", as an SIS import's batch mode would: the lists' filter for the
    # mark must find only the power user's own.
    enrollment_services.courses_mark_for_deletion(
        type(course).objects.filter(pk=course.pk), by=by, reason="Test set-up"
    )
    enrollment_services.sections_mark_for_deletion(
        type(section).objects.filter(pk=section.pk), by=by, reason="Test set-up"
    )
    enrollment = enrollment_services.enrollment_create(
        user=person, course=course, section=section, by=by, reason="Test set-up", notify=False
    )
    enrollment_services.enrollment_set_state(
        enrollment, EnrollmentState.COMPLETED, by=by, reason="Test set-up"
    )
    certificate = enrollment_services.certificate_issue(enrollment, by=by, reason="Test set-up")
    content = (
        f"username,first_name,last_name,email,sis_user_id\n"
        f"{prefix}learner,{first},{last},{prefix}learner@{prefix}.example,SIS-{mark}-1\n"
        f"{prefix}newcomer,{first},{last}son,{prefix}new@{prefix}.example,SIS-{mark}-2\n"
    ).encode()
    job = import_services.import_job_create(
        kind="users", file_name=f"{prefix}-{name}-people.csv", content=content, by=power
    )
    export = ExportRecord.objects.create(
        user=power,
        username=power.username,
        report="archived",
        format="csv",
        filters={"segment": str(segment.pk)},
        file_name=f"{prefix}-{name}-archived.csv",
        rows=1,
    )
    token, _ = token_create(person, by=by, reason="Test set-up", purpose=f"{name} script")
    review_policy = ReviewPolicy.objects.create(organisation=organisation)
    review = services.review_run_start(
        kind=ReviewKind.SCHEDULED,
        criteria=Criteria(never_signed_in_days=0, no_sign_in_days=0),
        organisation=organisation,
        by=None,
        reason="Test set-up",
    )
    return Side(
        organisation=organisation,
        person=person,
        power=power,
        segment=segment,
        membership=SegmentMembership.objects.get(segment=segment, user=person),
        course=course,
        section=section,
        enrollment=enrollment,
        certificate=certificate,
        job=job,
        export=export,
        token=token,
        history_id=person.history.order_by("-history_id").first().history_id,
        review=review,
        review_policy=review_policy,
        progress=Progress.objects.create(
            tag="sis_batch_state_restore", job=job, user=power, scope_organisation=organisation
        ),
        term=term,
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, roles, django_capture_on_commit_callbacks):
    """Org A (the power user's) and org B, each with people, a segment and its membership,
    a term, a course in it, a section, an enrolment and its certificate, an import job, an
    export record, a token and history."""
    trainer = services.user_create(
        username="trainer",
        email="trainer@example.com",
        password=PASSWORD,
        is_staff=True,
        groups=[TRAINING_ADMIN],
        by=None,
        reason="Test set-up",
    )
    assert Group.objects.filter(name=POWER_USER).exists()
    with django_capture_on_commit_callbacks(execute=True):
        a = _side(
            "aurora", name="Aurora", person_name=("Amelia", "Applewood"), mark="AUR", by=trainer
        )
        b = _side(
            "bsecret",
            name="Borealis",
            person_name=("Quintavius", "Zorblatt"),
            mark="BSECRET",
            by=trainer,
        )
    return a, b
