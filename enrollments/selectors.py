"""Reads of courses, sections and enrolments, narrowed to what the viewer may see.

Ids follow Canvas: a number, `sis_course_id:X`, `sis_section_id:X`, `sis_term_id:X`; an
enrolment inside a course may also be named by its user (`sis_user_id:X`, `sis_login_id:X`),
which Canvas cannot do (seed 001: "you have to use the enrollment_id").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404

from enrollments.filters import CourseFilter, EnrollmentFilter, TermFilter
from enrollments.models import (
    Course,
    Enrollment,
    EnrollmentState,
    EnrollmentTerm,
    EnrollmentType,
    Section,
)
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import organisation_line, organisation_tree_ids
from users.models import User, UserStatus
from users.selectors import USER_ID_KINDS, get_or_404, id_lookup

COURSE_ID_KINDS = {"sis_course_id": "sis_course_id"}
SECTION_ID_KINDS = {"sis_section_id": "sis_section_id"}
TERM_ID_KINDS = {"sis_term_id": "sis_term_id"}


def default_section(course: Course) -> Section:
    section = Section.objects.filter(course=course, is_default=True).first()
    if section is None:
        raise DomainError(f"The course {course.code} has no default section.")
    return section


def everyone_user_ids(course: Course):
    """Users an "everyone" course covers: its organisation and sub-organisations, not deleted."""
    users = User.objects.exclude(status=UserStatus.DELETED)
    if course.organisation_id is not None:
        users = users.filter(organisation_id__in=organisation_tree_ids(course.organisation_id))
    return users.values_list("id", flat=True)


def everyone_preview(course: Course) -> dict:
    """How many people switching to "everyone" would enrol, by their status."""
    section = default_section(course)
    covered = User.objects.filter(id__in=everyone_user_ids(course))
    already = Enrollment.objects.filter(section=section, type=EnrollmentType.STUDENT).values(
        "user_id"
    )
    counts = dict(covered.exclude(id__in=already).values_list("status").annotate(n=Count("id")))
    return {
        "active": counts.get(UserStatus.ACTIVE, 0),
        "inactive": counts.get(UserStatus.INACTIVE, 0),
        "total": sum(counts.values()),
    }


def enrolment_selection(users):
    """A selection of people (any queryset of users) as one plain query of users by id."""
    return User.objects.filter(id__in=users.order_by().values("id"))


def enrollable(*, include_inactive: bool) -> Q:
    """Who of a selection enrolling takes in: active people, and inactive ones when asked
    for (they are enrolled silently); deleted people never."""
    if include_inactive:
        return Q(status__in=[UserStatus.ACTIVE, UserStatus.INACTIVE])
    return Q(status=UserStatus.ACTIVE)


def course_get(viewer, value) -> Course:
    return get_or_404(Course.objects.for_user(viewer), value, COURSE_ID_KINDS)


def section_get(viewer, value, *, course: Course | None = None) -> Section:
    sections = Section.objects.for_user(viewer).select_related("course")
    if course is not None:
        sections = sections.filter(course=course)
    return get_or_404(sections, value, SECTION_ID_KINDS)


def usable_terms(viewer, organisation_id: int | None):
    """The terms courses of an organisation may be in, among those the viewer may see: the
    organisation's own, its parents', and the shared ones (without an organisation)."""
    line = organisation_line(organisation_id) if organisation_id else []
    return EnrollmentTerm.objects.for_user(viewer).filter(
        Q(organisation_id__in=line) | Q(organisation__isnull=True)
    )


def term_refusal(term: EnrollmentTerm | None, organisation) -> str | None:
    """Why a course of `organisation` (an Organisation, or None for the shared catalogue)
    may not be in `term`, in plain words; None when it may: the term is the organisation's
    own, one of its parents', or a shared one."""
    if term is None or term.organisation_id is None:
        return None
    organisation_id = getattr(organisation, "pk", organisation)
    if organisation_id and term.organisation_id in organisation_line(organisation_id):
        return None
    owner = f"“{organisation}”" if organisation_id else "no organisation (a shared course)"
    return (
        f"The term “{term.name}” is not one a course of {owner} may be in: choose a term of "
        "the course's organisation, of an organisation above it, or a shared term."
    )


def terms_by_sis_id(viewer, organisation_id: int | None, sis_ids) -> dict[str, EnrollmentTerm]:
    """The term each SIS term ID names for an organisation: its own term with that id, else
    its nearest parent's, else the shared one."""
    line = organisation_line(organisation_id) if organisation_id else []
    nearness = {organisation: rank for rank, organisation in enumerate([*line, None])}
    found: dict[str, EnrollmentTerm] = {}
    terms = usable_terms(viewer, organisation_id).filter(sis_term_id__in=list(sis_ids))
    for term in sorted(terms, key=lambda term: nearness[term.organisation_id]):
        found.setdefault(term.sis_term_id, term)
    return found


def term_for_account(viewer, account, value) -> EnrollmentTerm | None:
    """The term a Canvas id names for an account (`12` or `sis_term_id:FALL25`), as
    `usable_terms` and `terms_by_sis_id` find it; None when there is none."""
    lookup = id_lookup(value, TERM_ID_KINDS)
    if lookup is None:
        return None
    if "sis_term_id" in lookup:
        return terms_by_sis_id(viewer, account.pk, [lookup["sis_term_id"]]).get(
            lookup["sis_term_id"]
        )
    return usable_terms(viewer, account.pk).filter(**lookup).first()


def account_terms(viewer, account, filters: dict, request=None) -> TermFilter:
    """Canvas's "List enrollment terms" of an account: the terms its courses may be in
    (`usable_terms`: its own, its parents' and the shared ones, as far as the viewer sees)."""
    return TermFilter(filters, queryset=usable_terms(viewer, account.pk), request=request)


def account_term_get(viewer, account, value) -> EnrollmentTerm:
    """One of the account's terms by its id or `sis_term_id:X` (the nearest with that id);
    another organisation's, or none, answers 404 alike."""
    term = term_for_account(viewer, account, value)
    if term is None:
        raise Http404
    return term


def account_courses(viewer, account, filters: dict, request=None) -> CourseFilter:
    courses = Course.objects.for_user(viewer).filter(
        organisation_id__in=organisation_tree_ids(account.pk)
    )
    return CourseFilter(filters, queryset=courses, request=request)


def course_sections(viewer, course: Course):
    return (
        Section.objects.for_user(viewer)
        .filter(course=course)
        .select_related("course")
        .order_by("-is_default", "name", "id")
    )


def visible_enrollments(viewer):
    """Enrolments in the viewer's scope, and always their own, as Canvas shows a learner."""
    scoped = Enrollment.objects.for_user(viewer) | Enrollment.objects.filter(user=viewer)
    return scoped.select_related("user", "course", "section")


def enrollments_list(
    viewer, filters: dict, *, course=None, section=None, user=None, request=None
) -> EnrollmentFilter:
    enrollments = visible_enrollments(viewer).order_by("id")
    if course is not None:
        enrollments = enrollments.filter(course=course)
    if section is not None:
        enrollments = enrollments.filter(section=section)
    if user is not None:
        enrollments = enrollments.filter(user=user)
    return EnrollmentFilter(filters, queryset=enrollments, request=request)


def enrollment_get(viewer, course: Course, value, *, type: str | None = None) -> Enrollment:
    """An enrolment of `course` by its id, or by its user's SIS id or login.

    A user with several enrolments in the course (several sections or roles) is ambiguous:
    the live one wins over deleted ones, `type` narrows further, otherwise a clear error.
    """
    enrollments = visible_enrollments(viewer).filter(course=course)
    text = str(value)
    lookup = id_lookup(text, {})
    if lookup is not None:
        found = enrollments.filter(**lookup).first()
        if found is None:
            raise Http404
        return found
    user_lookup = id_lookup(text, USER_ID_KINDS)
    if user_lookup is None or "pk" in user_lookup:
        raise Http404
    candidates = enrollments.filter(**{f"user__{k}": v for k, v in user_lookup.items()})
    if type:
        candidates = candidates.filter(type=type)
    candidates = list(candidates.order_by("id")[:20])
    if len(candidates) > 1:
        live = [row for row in candidates if row.state != EnrollmentState.DELETED]
        candidates = live or candidates
    if not candidates:
        raise Http404
    if len(candidates) > 1:
        ids = ", ".join(str(row.pk) for row in candidates)
        raise DomainError(
            f"{text} has several enrolments in this course ({ids}). Use the enrolment id, "
            "or add type=StudentEnrollment (or another type) to choose."
        )
    return candidates[0]


def enrollment_find(*, user, section, type: str) -> Enrollment | None:
    return (
        Enrollment.objects.filter(user=user, section=section, type=type)
        .select_related("user", "course", "section")
        .first()
    )


@dataclass(frozen=True)
class EnrolPlan:
    """What enrolling a selection in a section will do (enrollments_create), person by
    person: the same partition that service makes, counted before anything changes."""

    enrolled: int = 0  # new enrolments, active people and, if asked for, inactive ones
    already_enrolled: int = 0
    told_by_email: int = 0
    no_email: int = 0  # active, newly enrolled, not told: no email address
    enrolled_silently: int = 0  # inactive, newly enrolled, not told
    skipped_inactive: int = 0
    skipped_deleted: int = 0


def enrolment_plan(
    users, *, course: Course, section: Section | None, type: str, include_inactive: bool
) -> EnrolPlan:
    """Count what `enrollments_create(users, course=…, section=…, type=…,
    include_inactive=…)` would do, in one read of the selection."""
    section = section or default_section(course)
    selection = enrolment_selection(users).annotate(
        enrolled_here=Exists(
            Enrollment.objects.filter(section=section, type=type, user_id=OuterRef("pk"))
        )
    )
    active, inactive = Q(status=UserStatus.ACTIVE), Q(status=UserStatus.INACTIVE)
    eligible = enrollable(include_inactive=include_inactive)
    new = Q(enrolled_here=False)
    counts = selection.aggregate(
        enrolled=Count("id", filter=eligible & new),
        already_enrolled=Count("id", filter=eligible & Q(enrolled_here=True)),
        told_by_email=Count("id", filter=active & new & ~Q(email="")),
        no_email=Count("id", filter=active & new & Q(email="")),
        inactive_new=Count("id", filter=inactive & new),
        inactive=Count("id", filter=inactive),
        skipped_deleted=Count("id", filter=Q(status=UserStatus.DELETED)),
    )
    inactive_new, inactive_count = counts.pop("inactive_new"), counts.pop("inactive")
    counts["enrolled_silently"] = inactive_new if include_inactive else 0
    counts["skipped_inactive"] = 0 if include_inactive else inactive_count
    return EnrolPlan(**counts)


# Seats and credits ----------------------------------------------------------------------


def seats_used(organisation) -> int:
    """Seats an organisation has used: people who ever started a course as its members.
    The seats report, the start check and the API all count with this."""
    from enrollments.models import LedgerKind, SeatCreditEntry

    return SeatCreditEntry.objects.filter(
        organisation_id=getattr(organisation, "pk", organisation), kind=LedgerKind.SEAT
    ).count()


def seats_remaining(organisation) -> int | None:
    """None: no limit."""
    if organisation.seat_limit is None:
        return None
    return max(organisation.seat_limit - seats_used(organisation), 0)


def seat_entries(viewer, organisation):
    """The organisation's ledger (seats, credits spent and added), newest first, with the
    person and course of each row; empty for an organisation outside the viewer's scope."""
    from enrollments.models import SeatCreditEntry

    return (
        SeatCreditEntry.objects.for_user(viewer)
        .filter(organisation=organisation)
        .select_related("user", "course", "created_by")
        .order_by("-created_at", "-id")
    )


def consumption_of(user_ids) -> dict:
    """What these people have consumed, for the deactivate and delete confirmations:
    {"people": how many hold a seat, "seats": seats, "credits": credits spent}. Set-based."""
    from django.db.models import Count, Q, Sum

    from enrollments.models import LedgerKind, SeatCreditEntry

    totals = SeatCreditEntry.objects.filter(
        user_id__in=user_ids, kind__in=[LedgerKind.SEAT, LedgerKind.CREDITS_SPENT]
    ).aggregate(
        seats=Count("id", filter=Q(kind=LedgerKind.SEAT)),
        people=Count("user_id", filter=Q(kind=LedgerKind.SEAT), distinct=True),
        credits=Sum("credits", filter=Q(kind=LedgerKind.CREDITS_SPENT)),
    )
    return {
        "people": totals["people"],
        "seats": totals["seats"],
        "credits": -(totals["credits"] or 0),
    }


def consumption_sentence(user_ids, *, single: bool) -> str:
    """The confirmation pages' words on what will not come back."""
    used = consumption_of(user_ids)
    if not used["seats"] and not used["credits"]:
        who = "This person has" if single else "These people have"
        return f"{who} used no seats or credits."
    parts = []
    if used["seats"]:
        parts.append(f"{used['seats']:,} seat{'s' if used['seats'] != 1 else ''}")
    if used["credits"]:
        parts.append(f"{used['credits']:,} credit{'s' if used['credits'] != 1 else ''}")
    who = "This person has" if single else f"{used['people']:,} of these people have"
    if not used["people"]:
        who = "This person has" if single else "These people have"
    return (
        f"{who} used {' and '.join(parts)}. Deactivating or deleting gives none of them back: "
        "they stay used."
    )


# The learner's own pages ------------------------------------------------------------------


LEARNER_STATES = (EnrollmentState.INVITED, EnrollmentState.ACTIVE, EnrollmentState.COMPLETED)


def learner_enrollments(user):
    """A learner's own enrolments to show on My learning, in two queries whatever their
    number (the enrolments with their courses, then their certificates)."""
    return (
        Enrollment.objects.filter(user=user, state__in=LEARNER_STATES)
        .select_related("course")
        .prefetch_related("certificates")
        .order_by("course__name", "id")
    )


def learner_enrollment(user, enrollment_id) -> Enrollment:
    """One of the learner's own enrolments; anyone else's answers 404."""
    found = (
        Enrollment.objects.filter(user=user, state__in=LEARNER_STATES, pk=enrollment_id)
        .select_related("course")
        .first()
    )
    if found is None:
        raise Http404
    return found


def learner_certificates(user):
    from enrollments.models import Certificate

    return (
        Certificate.objects.filter(enrollment__user=user, enrollment__state__in=LEARNER_STATES)
        .select_related("enrollment__course")
        .order_by("-issued_at")
    )


def learner_certificate(user, code: str):
    """The learner's own certificate by its code; another person's answers 404."""
    found = learner_certificates(user).filter(verification_code=code).first()
    if found is None:
        raise Http404
    return found


def certificate_verification(code: str) -> dict:
    """What the public verification page shows, and nothing more: name, course, date, and
    whether it is valid. A code that was never issued answers 404. A certificate whose
    enrolment was deleted, or whose holder was deleted, is revoked."""
    from enrollments.models import Certificate

    found = (
        Certificate.objects.filter(verification_code=code.upper())
        .select_related("enrollment__user", "enrollment__course")
        .first()
    )
    if found is None:
        raise Http404
    enrollment = found.enrollment
    return {
        "name": enrollment.user.get_full_name(),
        "course": enrollment.course.name,
        "issued_on": found.issued_at,
        "valid": enrollment.state == EnrollmentState.COMPLETED
        and enrollment.user.status != "deleted",
    }
