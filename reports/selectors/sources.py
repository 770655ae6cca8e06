"""Where the analytics figures come from: the live tables, or the history as of a moment.

A `Source` hands out each table as a list of querysets ("parts") with the same column
names, whose rows together are the table at `moment`. Counting is additive, so the figures
code sums over the parts and never needs to know whether it reads live rows or history.

Live: one part per table, the current rows.
As of a moment: (1) current rows that have not changed since the moment (their present
state *is* their state then), plus (2) for the rows that changed since, their last history
version before the moment. For a recent date (2) is small, so the report costs little more
than the live one; for an old date it approaches a scan of the history, bounded by the
number of objects changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from enrollments.models import Enrollment
from lms_admin.plumbing.scoping import EVERYTHING
from users.models import SegmentMembership, User


@dataclass
class Source:
    users: list[QuerySet]
    enrollments: list[QuerySet]
    memberships: list[QuerySet]
    moment: datetime
    live: bool


def _scoped_users(parts: list[QuerySet], scope) -> list[QuerySet]:
    if scope is EVERYTHING:
        return parts
    return [part.filter(organisation_id__in=scope) for part in parts]


def live_source(*, scope, now: datetime) -> Source:
    return Source(
        users=_scoped_users([User.objects.all()], scope),
        enrollments=[Enrollment.objects.all()],
        memberships=[SegmentMembership.objects.all()],
        moment=now,
        live=True,
    )


def table_at(model, moment: datetime) -> list[QuerySet]:
    """The rows of `model` as they stood just before `moment`, as two querysets."""
    history = model.history.model
    changed_since = history.objects.filter(history_date__gte=moment)
    unchanged = model.objects.filter(~Exists(changed_since.filter(id=OuterRef("pk"))))
    latest = (
        history.objects.filter(history_date__lt=moment, id__in=changed_since.values("id"))
        .annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("id")],
                order_by=[F("history_date").desc(), F("history_id").desc()],
            )
        )
        .filter(newest=1)
        .values("history_id")
    )
    # A "-" row means the object had been removed by then; drop it after picking the
    # newest version, or an older version would stand in for it.
    versions = history.objects.filter(history_id__in=latest).exclude(history_type="-")
    return [unchanged.order_by(), versions.order_by()]


def source_as_of(*, scope, moment: datetime) -> Source:
    return Source(
        users=_scoped_users(table_at(User, moment), scope),
        enrollments=table_at(Enrollment, moment),
        memberships=table_at(SegmentMembership, moment),
        moment=moment,
        live=False,
    )


def in_any(field: str, id_querysets: list[QuerySet]) -> Q:
    """`field` is one of the ids any of the querysets yields."""
    condition = Q(**{f"{field}__in": id_querysets[0]})
    for queryset in id_querysets[1:]:
        condition |= Q(**{f"{field}__in": queryset})
    return condition
