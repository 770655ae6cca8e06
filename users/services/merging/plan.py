"""The plan of a merge, read-only: whether it is allowed (`merge_refusal`), what moves from
each account, and every conflict with the record that wins it (`merge_plan`). The preview
page shows it; `users_merge` carries it out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import models

from enrollments.models import Certificate, Enrollment, EnrollmentState
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.scoping import manage_refusal
from users.models import AccessToken, SegmentMembership, User, UserStatus
from users.services.common import _label

# completed > active > inactive > invited > deleted (issue 17), then the latest activity.
STATE_RANK = {
    EnrollmentState.COMPLETED: 4,
    EnrollmentState.ACTIVE: 3,
    EnrollmentState.INACTIVE: 2,
    EnrollmentState.INVITED: 1,
    EnrollmentState.DELETED: 0,
}


@dataclass
class Conflict:
    """Two or more of the accounts in one section with one role: who wins, who is set aside."""

    winner: Enrollment
    losers: list[Enrollment]

    @property
    def why(self) -> str:
        loser = self.losers[0]
        if STATE_RANK[self.winner.state] != STATE_RANK[loser.state]:
            return f"{self.winner.get_state_display()} beats {loser.get_state_display()}"
        if self.winner.last_activity_at != loser.last_activity_at:
            return "same state; more recent activity"
        return "same state and activity; the primary account's is kept"


@dataclass
class MergePlan:
    primary: User
    others: list[User]
    moving: dict[int, dict[str, int]]  # per other account: kind -> count
    conflicts: list[Conflict]
    duplicate_memberships: list[SegmentMembership]
    enrollments: list[Enrollment] = field(default_factory=list)  # what moves, for the page

    @property
    def total_moving(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.moving.values())


def merge_refusal(*, primary: User, others: list[User], by) -> str | None:
    """Why these accounts cannot be merged, in plain words; None when they can."""
    if not others:
        return "Choose at least one other account to merge into the primary one."
    ids = [other.pk for other in others]
    if primary.pk in ids:
        return f"{_label(primary)} cannot be merged into itself; choose another primary."
    if len(set(ids)) != len(ids):
        return "An account is listed twice."
    for account in [primary, *others]:
        if account.anonymised_at is not None:
            return (
                f"{account.username} was anonymised on {account.anonymised_at:%d %b %Y}; "
                "an anonymised account cannot be merged."
            )
        if account.status == UserStatus.DELETED:
            return (
                f"{account.username} is deleted (or was merged into another account); "
                "undelete them first, or leave them out."
            )
        refusal = manage_refusal(by, account) if by is not None else None
        if refusal:
            return refusal
    for account in others:
        policy_owner = next(
            (
                person.organisation
                for person in (primary, account)
                if person.organisation is not None
                and person.organisation.forbid_merging_sis_with_self_registered
            ),
            None,
        )
        if policy_owner and bool(primary.sis_user_id) != bool(account.sis_user_id):
            sis, own = (primary, account) if primary.sis_user_id else (account, primary)
            return (
                f"{policy_owner.name} does not allow merging an SIS account ({sis.username}) "
                f"with a self-registered one ({own.username})."
            )
    return None


def _winner_key(enrollment: Enrollment, primary_id: int):
    activity = enrollment.last_activity_at
    return (
        STATE_RANK.get(enrollment.state, -1),
        activity is not None,
        activity.timestamp() if activity else 0,
        enrollment.user_id == primary_id,
        -enrollment.pk,
    )


def merge_plan(*, primary: User, others: list[User], by) -> MergePlan:
    """What a merge would do, read-only: counts of what moves and every conflict's winner.
    Raises DomainError (NotPermitted for scope) when the merge is not allowed."""
    refusal = merge_refusal(primary=primary, others=others, by=by)
    if refusal:
        error = NotPermitted if by is not None and _out_of_scope(by, [primary, *others]) else None
        raise (error or DomainError)(refusal)
    ids = [primary.pk, *(other.pk for other in others)]
    other_ids = ids[1:]
    contested = (
        Enrollment.objects.filter(user_id__in=ids)
        .values("section_id", "type")
        .annotate(n=models.Count("id"))
        .filter(n__gt=1)
        .order_by()
    )
    keys = {(row["section_id"], row["type"]) for row in contested}
    groups = defaultdict(list)
    if keys:
        rows = Enrollment.objects.filter(
            user_id__in=ids, section_id__in={section for section, _ in keys}
        ).select_related("course", "section", "user")
        for row in rows:
            if (row.section_id, row.type) in keys:
                groups[(row.section_id, row.type)].append(row)
    conflicts = []
    for rows in groups.values():
        ranked = sorted(rows, key=lambda row: _winner_key(row, primary.pk), reverse=True)
        conflicts.append(Conflict(winner=ranked[0], losers=ranked[1:]))
    conflicts.sort(key=lambda conflict: (conflict.winner.course.code, conflict.winner.pk))
    duplicate_memberships = _duplicate_memberships(primary.pk, ids)
    losing = {loser.pk for conflict in conflicts for loser in conflict.losers}
    set_aside_memberships = {membership.pk for membership in duplicate_memberships}
    moving = {}
    for other in others:
        enrollments = Enrollment.objects.filter(user_id=other.pk).exclude(pk__in=losing)
        moving[other.pk] = {
            "enrolments": enrollments.count(),
            "certificates": Certificate.objects.filter(enrollment__user_id=other.pk).count(),
            "segment memberships": SegmentMembership.objects.filter(user_id=other.pk)
            .exclude(pk__in=set_aside_memberships)
            .count(),
            "API tokens": AccessToken.objects.filter(user_id=other.pk).count(),
            "deletion marks cleared": int(other.marked_for_deletion_at is not None),
        }
    shown = list(
        Enrollment.objects.filter(user_id__in=other_ids)
        .exclude(pk__in=losing)
        .select_related("course", "section", "user")
        .order_by("user_id", "course__code", "id")[:200]
    )
    return MergePlan(
        primary=primary,
        others=list(others),
        moving=moving,
        conflicts=conflicts,
        duplicate_memberships=duplicate_memberships,
        enrollments=shown,
    )


def _out_of_scope(by, accounts) -> bool:
    return any(manage_refusal(by, account) for account in accounts)


def _duplicate_memberships(primary_id: int, ids: list[int]) -> list[SegmentMembership]:
    """Memberships of a segment that another of the accounts is in already: the primary's
    (or else the oldest) stays, these are set aside."""
    rows = (
        SegmentMembership.objects.filter(user_id__in=ids)
        .select_related("segment", "user")
        .order_by("segment_id", "id")
    )
    by_segment = defaultdict(list)
    for row in rows:
        by_segment[row.segment_id].append(row)
    set_aside = []
    for rows in by_segment.values():
        if len(rows) < 2:
            continue
        kept = next((row for row in rows if row.user_id == primary_id), rows[0])
        set_aside += [row for row in rows if row.pk != kept.pk]
    return set_aside
