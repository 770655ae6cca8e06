"""Who the retention policy's next run anonymises: inactive for more than N years, or
deleted more than N days ago, per organisation (the defaults where an organisation has no
policy of its own). Admin accounts are never anonymised by a schedule, only on request.

Both conditions use the (status_changed_at) index; the preview counts up to a cap.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from lms_admin.plumbing.counting import capped_count
from lms_admin.plumbing.scoping import admin_account_condition
from users.models import RetentionPolicy, User, UserStatus

PREVIEW_ROWS = 50


def _due(inactive_years: int, deleted_days: int, now) -> Q:
    return Q(
        status=UserStatus.INACTIVE,
        status_changed_at__lt=now - timedelta(days=365 * inactive_years),
    ) | Q(status=UserStatus.DELETED, status_changed_at__lt=now - timedelta(days=deleted_days))


def retention_due(*, now=None, organisation_ids=None) -> QuerySet:
    """People the next run anonymises (optionally only of `organisation_ids`)."""
    now = now or timezone.now()
    policies = list(RetentionPolicy.objects.all())
    with_policy = [policy.organisation_id for policy in policies]
    condition = Q(organisation_id__isnull=True) | ~Q(organisation_id__in=with_policy)
    condition &= _due(
        RetentionPolicy.DEFAULT_INACTIVE_YEARS, RetentionPolicy.DEFAULT_DELETED_DAYS, now
    )
    for policy in policies:
        if policy.enabled:
            condition |= Q(organisation_id=policy.organisation_id) & _due(
                policy.inactive_years, policy.deleted_days, now
            )
    due = User.objects.filter(condition, anonymised_at__isnull=True).exclude(
        admin_account_condition()
    )
    if organisation_ids is not None:
        due = due.filter(organisation_id__in=organisation_ids)
    return due


def retention_preview(viewer, *, now=None) -> dict:
    """What the policy page shows: a capped count and the first people, in the viewer's scope."""
    due = retention_due(now=now).for_user(viewer)
    return {
        "count": capped_count(due),
        "first": list(
            due.select_related("organisation").order_by("status_changed_at", "id")[:PREVIEW_ROWS]
        ),
    }
