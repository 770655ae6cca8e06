"""Segments and their members: membership never depends on a member's status."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import (
    batched,
    create_with_history,
    delete_with_history,
    insert_history_rows,
    update_with_history,
)
from lms_admin.plumbing.scoping import POWER_USER, organisation_scope, role_of
from users.models import (
    Segment,
    SegmentMembership,
)

# Segments -------------------------------------------------------------------------------


SEGMENT_FIELDS = ("name", "organisation", "description")


def _refuse_organisation_out_of_reach(by, organisation) -> None:
    """A power user keeps segments of their own organisation only."""
    if role_of(by) != POWER_USER:
        return
    if getattr(organisation, "pk", organisation) not in (organisation_scope(by) or set()):
        raise NotPermitted("You can only manage segments of your own organisation.")


@transaction.atomic
def segment_create(*, name: str, organisation=None, description: str = "", by, reason: str):
    _refuse_organisation_out_of_reach(by, organisation)
    try:
        return create_with_history(
            Segment,
            by=by,
            reason=reason,
            name=name,
            organisation=organisation,
            description=description,
        )
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


@transaction.atomic
def segment_update(segment: Segment, *, by, reason: str, **changes) -> Segment:
    """Rename a segment, describe it, or move it to another organisation."""
    _refuse_organisation_out_of_reach(by, segment.organisation_id)
    if "organisation" in changes:
        _refuse_organisation_out_of_reach(by, changes["organisation"])
    try:
        return update_with_history(segment, changes, by=by, reason=reason, allowed=SEGMENT_FIELDS)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error


@transaction.atomic
def segment_add_members(segment: Segment, users: QuerySet, *, by, reason: str) -> int:
    """Add users to a segment; whatever their status, they stay members until removed."""
    Segment.objects.select_for_update().get(pk=segment.pk)
    added = 0
    now = timezone.now()
    user_ids = list(users.order_by().values_list("id", flat=True))
    for batch in batched(user_ids):
        present = set(
            SegmentMembership.objects.filter(segment=segment, user_id__in=batch).values_list(
                "user_id", flat=True
            )
        )
        new = [
            SegmentMembership(segment=segment, user_id=user_id, added_at=now)
            for user_id in batch
            if user_id not in present
        ]
        if not new:
            continue
        SegmentMembership.objects.bulk_create(new)
        ids = list(
            SegmentMembership.objects.filter(
                segment=segment, user_id__in=[m.user_id for m in new]
            ).values_list("id", flat=True)
        )
        insert_history_rows(
            SegmentMembership, ids, by=by, reason=reason, history_type="+", when=now
        )
        figures.memberships_added(ids, now=now)
        added += len(ids)
    return added


@transaction.atomic
def segment_remove_members(segment: Segment, users: QuerySet, *, by, reason: str) -> int:
    Segment.objects.select_for_update().get(pk=segment.pk)
    memberships = SegmentMembership.objects.filter(
        segment=segment, user_id__in=users.order_by().values("id")
    )
    ids = list(memberships.values_list("id", flat=True))
    now = timezone.now()
    for batch in batched(ids):
        # History first: the "-" row records what the membership was before it went.
        insert_history_rows(
            SegmentMembership, batch, by=by, reason=reason, history_type="-", when=now
        )
        figures.memberships_removing(batch, now=now)
        # A raw delete: the ORM's delete() would send a signal per row and simple-history
        # would write a second "-" row for each one.
        SegmentMembership.objects.filter(id__in=batch)._raw_delete(SegmentMembership.objects.db)
    return len(ids)


@transaction.atomic
def segment_membership_delete(membership: SegmentMembership, *, by, reason: str) -> None:
    figures.memberships_removing([membership.pk])
    delete_with_history(membership, by=by, reason=reason)
