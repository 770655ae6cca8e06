"""Reads behind the reviews of dormant accounts: who is a candidate and why, what the
policy proposes for each, each person's activity, and the reviews a person may see.

The built-in policy: no activity (see `card.has_activity_condition`) → proposed for
deletion; any activity → proposed for deactivation. A review never deletes anyone with
activity, and never lists an account with admin rights (staff, superuser or a role): those
are a training admin's to change by hand, one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone

from enrollments.models import Certificate, Enrollment, EnrollmentState
from lms_admin.plumbing.counting import capped_counts
from lms_admin.plumbing.scoping import admin_account_condition, admin_account_ids
from users.models import (
    ReviewAction,
    ReviewCandidate,
    ReviewKind,
    ReviewReason,
    ReviewRun,
    User,
    UserStatus,
)
from users.selectors.card import has_activity_condition

DEFAULT_NEVER_SIGNED_IN_DAYS = 365
DEFAULT_NO_SIGN_IN_DAYS = 540
REVIEWABLE_STATUSES = (UserStatus.ACTIVE, UserStatus.INACTIVE)


@dataclass(frozen=True)
class Criteria:
    """What puts a person in a review. `created_before` makes it a never-used deletion."""

    never_signed_in_days: int = DEFAULT_NEVER_SIGNED_IN_DAYS
    no_sign_in_days: int = DEFAULT_NO_SIGN_IN_DAYS
    include_marked: bool = True
    created_before: datetime | None = None

    def as_json(self) -> dict:
        values = {
            "never_signed_in_days": self.never_signed_in_days,
            "no_sign_in_days": self.no_sign_in_days,
            "include_marked": self.include_marked,
        }
        if self.created_before is not None:
            values = {"created_before": self.created_before.isoformat()}
        return values


def _reviewable(people: QuerySet) -> QuerySet:
    return people.filter(status__in=REVIEWABLE_STATUSES, anonymised_at__isnull=True)


def reviewable_people(actor) -> QuerySet:
    """The people `actor` may review: the plain accounts they see (never an account with
    admin rights, whoever reviews), not deleted nor anonymised."""
    return _reviewable(User.objects.for_user(actor).exclude(admin_account_condition()))


def admin_accounts_left_out(actor) -> QuerySet:
    """The accounts with admin rights that `actor` sees and that a review leaves out."""
    return _reviewable(User.objects.for_user(actor).filter(pk__any_of=admin_account_ids()))


def organisation_people(organisation_ids) -> QuerySet:
    """A scheduled review's people: plain accounts of the organisation."""
    return _reviewable(User.objects.filter(organisation_id__in=organisation_ids)).exclude(
        admin_account_condition()
    )


def candidate_lists(people: QuerySet, criteria: Criteria, *, now=None) -> dict[str, QuerySet]:
    """{reason: the people of `people` on that list}. Each filter has an index behind it
    (last_login, date_joined, marked_for_deletion_at, status)."""
    now = now or timezone.now()
    if criteria.created_before is not None:
        never_used = people.filter(
            last_login__isnull=True, date_joined__lt=criteria.created_before
        ).exclude(has_activity_condition())
        return {ReviewReason.NEVER_SIGNED_IN: never_used}
    lists = {
        ReviewReason.NEVER_SIGNED_IN: people.filter(
            last_login__isnull=True,
            date_joined__lt=now - timedelta(days=criteria.never_signed_in_days),
        ),
        ReviewReason.NO_SIGN_IN: people.filter(
            status=UserStatus.ACTIVE,
            last_login__lt=now - timedelta(days=criteria.no_sign_in_days),
        ),
    }
    if criteria.include_marked:
        lists[ReviewReason.MARKED] = people.filter(marked_for_deletion_at__isnull=False)
    return lists


def candidate_counts(lists: dict[str, QuerySet]) -> dict[str, int]:
    """Each list's size, exact up to the cap ("10,000+" beyond), in one query."""
    return capped_counts(lists)


def candidates(people: QuerySet, criteria: Criteria, *, now=None) -> QuerySet:
    """Everyone on any list, once, with `review_reason` (marked first) and `proposal`."""
    lists = candidate_lists(people, criteria, now=now)
    conditions, whens = [], []
    for reason in (ReviewReason.MARKED, ReviewReason.NEVER_SIGNED_IN, ReviewReason.NO_SIGN_IN):
        if reason in lists:
            conditions.append(Q(pk__in=lists[reason].order_by().values("pk")))
            whens.append(When(conditions[-1], then=Value(str(reason))))
    return people.filter(reduce(or_, conditions)).annotate(
        review_reason=Case(*whens, output_field=CharField()),
        proposal=Case(
            When(has_activity_condition(), then=Value(str(ReviewAction.DEACTIVATE))),
            default=Value(str(ReviewAction.DELETE)),
            output_field=CharField(),
        ),
    )


def list_page(queryset: QuerySet, *, limit: int = 50) -> list[User]:
    """The first rows of a list, oldest sign-in first, with their organisations."""
    return list(
        queryset.select_related("organisation").order_by("last_login", "date_joined", "id")[:limit]
    )


@dataclass
class ActivitySummary:
    enrolments: int = 0
    started: int = 0
    completed: int = 0
    certificates: int = 0


def activity_summaries(user_ids) -> dict[int, ActivitySummary]:
    """Enrolments, started, completed and certificates per person, in two grouped queries
    for a page of people (never one per row)."""
    user_ids = list(user_ids)
    summaries = {user_id: ActivitySummary() for user_id in user_ids}
    if not user_ids:
        return summaries
    done = Q(state=EnrollmentState.COMPLETED) | Q(completed_at__isnull=False)
    for row in (
        Enrollment.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(
            enrolments=Count("id"),
            started=Count("id", filter=Q(started_at__isnull=False) | done),
            completed=Count("id", filter=done),
        )
        .order_by()
    ):
        summary = summaries[row["user_id"]]
        summary.enrolments = row["enrolments"]
        summary.started = row["started"]
        summary.completed = row["completed"]
    for row in (
        Certificate.objects.filter(enrollment__user_id__in=user_ids)
        .values("enrollment__user_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        summaries[row["enrollment__user_id"]].certificates = row["n"]
    return summaries


def runs_visible_to(actor) -> QuerySet:
    """Reviews the person may open: all for training admins and managers; a power user's
    organisation's scheduled reviews and the reviews they started themselves."""
    runs = ReviewRun.objects.for_user(actor).select_related("organisation", "started_by")
    return runs


def run_get(actor, run_id) -> ReviewRun | None:
    """The review, or None when it does not exist or is out of the person's reach (the
    same answer, so ids cannot be probed)."""
    return runs_visible_to(actor).filter(pk=run_id).first()


def run_candidates(run: ReviewRun) -> QuerySet:
    return (
        ReviewCandidate.objects.filter(run=run)
        .select_related("user", "user__organisation", "decided_by")
        .order_by("id")
    )


def run_pending(run: ReviewRun) -> QuerySet:
    return ReviewCandidate.objects.filter(run=run, decision="")


EXPORT_HEADERS = (
    "Username",
    "First name",
    "Last name",
    "Email",
    "SIS user ID",
    "Organisation",
    "Status",
    "Created",
    "Last sign-in",
    "Why listed",
    "Proposed",
    "Enrolments",
    "Started",
    "Completed",
    "Certificates",
    "Decision",
)
EXPORT_CHUNK = 1000


def run_export_rows(run: ReviewRun):
    """The review's candidates as the CSV lists them, a chunk of people at a time."""
    reasons = dict(ReviewReason.choices)
    actions = dict(ReviewAction.choices)
    statuses = dict(UserStatus.choices)
    last_id = 0
    while True:
        chunk = list(
            ReviewCandidate.objects.filter(run=run, id__gt=last_id)
            .select_related("user", "user__organisation")
            .order_by("id")[:EXPORT_CHUNK]
        )
        if not chunk:
            return
        last_id = chunk[-1].id
        summaries = activity_summaries(candidate.user_id for candidate in chunk)
        for candidate in chunk:
            user, summary = candidate.user, summaries[candidate.user_id]
            yield (
                user.username,
                user.first_name,
                user.last_name,
                user.email,
                user.sis_user_id or "",
                str(user.organisation or ""),
                statuses.get(user.status, user.status),
                user.date_joined,
                user.last_login,
                reasons.get(candidate.reason, candidate.reason),
                actions.get(candidate.proposal, candidate.proposal),
                summary.enrolments,
                summary.started,
                summary.completed,
                summary.certificates,
                actions.get(candidate.decision, ""),
            )


def kind_label(kind: str) -> str:
    return dict(ReviewKind.choices).get(kind, kind)
