"""Reads behind the users page and the user card: status timeline, training history,
change history with field-by-field differences, and activity checks for deletion."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from enrollments.models import Certificate, Enrollment
from lms_admin.plumbing.history import changed_fields
from users.models import User

# Bookkeeping that the "when" column already says, or that must never be shown.
HIDDEN_FIELDS = {"password", "status_changed_at", "temporary_password_expires_at"}
# What "revert" can put back: profile fields, and the status through its own service.
REVERTIBLE_FIELDS = {
    "username",
    "email",
    "first_name",
    "last_name",
    "sis_user_id",
    "organisation",
    "is_staff",
    "is_superuser",
    "status",
}


@dataclass
class FieldChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Change:
    history_id: int
    when: object
    actor: str
    reason: str
    kind: str
    changes: list[FieldChange] = field(default_factory=list)
    revertible: bool = False


def _display(record, name: str) -> str:
    model_field = record.instance_type._meta.get_field(name)
    value = getattr(record, model_field.attname, None)
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d %b %Y %H:%M")
    if model_field.is_relation:
        related = getattr(record, name, None)
        return str(related) if related is not None else f"#{value}"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    return str(value)


def user_changes(user: User, limit: int = 50) -> list[Change]:
    """The user's history, newest first, each with what changed from the row before."""
    records = list(
        User.history.filter(id=user.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    changes = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        kinds = {"+": "Created", "~": "Changed", "-": "Deleted"}
        change = Change(
            history_id=record.history_id,
            when=record.history_date,
            actor=record.history_user.username if record.history_user else "System",
            reason=record.history_change_reason or "",
            kind=kinds.get(record.history_type, record.history_type),
        )
        if previous is not None:
            for name in changed_fields(record, previous, exclude=HIDDEN_FIELDS):
                label = User._meta.get_field(name).verbose_name
                change.changes.append(
                    FieldChange(
                        field=name,
                        label=str(label).capitalize(),
                        old=_display(previous, name),
                        new=_display(record, name),
                    )
                )
            change.revertible = any(item.field in REVERTIBLE_FIELDS for item in change.changes)
        changes.append(change)
    return changes


def user_status_timeline(user: User, limit: int = 20) -> list[Change]:
    """When the status changed, why and by whom: the changes that touched status."""
    return [
        change
        for change in user_changes(user, limit=200)
        if change.kind == "Created" or any(item.field == "status" for item in change.changes)
    ][:limit]


def user_training_history(user: User) -> QuerySet:
    """Every enrolment, whatever its state or the user's, with what the card shows."""
    return (
        Enrollment.objects.filter(user=user)
        .select_related("course", "section")
        .prefetch_related(
            Prefetch("certificates", queryset=Certificate.objects.order_by("-issued_at"))
        )
        .order_by("-created_at", "-id")
    )


def has_activity_condition() -> Q:
    """People with a trace worth keeping: signed in, or started or finished a course."""
    engaged = Enrollment.objects.filter(user_id=OuterRef("pk")).filter(
        Q(started_at__isnull=False)
        | Q(completed_at__isnull=False)
        | Q(last_activity_at__isnull=False)
        | Q(state="completed")
    )
    return Q(last_login__isnull=False) | Q(Exists(engaged))


def users_with_activity(users: QuerySet) -> QuerySet:
    return users.filter(has_activity_condition())


def user_erasure_receipt(user: User):
    """The receipt of the person's erasure, when they were erased on request."""
    if user.anonymised_at is None:
        return None
    return user.erasure_receipts.order_by("-created_at").first()
