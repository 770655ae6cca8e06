"""Canvas's JSON for accounts and users, plus our change log rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

from rest_framework import serializers

from users.models import UserStatus

# Canvas's pseudonym states: a suspended login is our inactive user.
WORKFLOW_STATES = {
    UserStatus.ACTIVE: "active",
    UserStatus.INACTIVE: "suspended",
    UserStatus.DELETED: "deleted",
}
HISTORY_EVENTS = {"+": "created", "~": "updated", "-": "deleted"}
# The fields each kind of row in a user's change log reports changes of.
HISTORY_FIELDS = {
    "user": (
        "username",
        "email",
        "first_name",
        "last_name",
        "sis_user_id",
        "organisation_id",
        "status",
        "status_changed_at",
        "anonymised_at",
        "is_staff",
        "is_superuser",
    ),
    "enrollment": (
        "course_id",
        "section_id",
        "type",
        "state",
        "state_before_delete",
        "source",
        "started_at",
        "completed_at",
        "score",
    ),
    "segment_membership": ("segment_id", "added_at"),
}


class Timestamp(serializers.DateTimeField):
    """ISO 8601 in UTC with a Z, as Canvas writes it: 2024-03-01T09:30:00Z."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(format="%Y-%m-%dT%H:%M:%SZ", default_timezone=datetime.UTC, **kwargs)


def timestamp(value):
    return None if value is None else Timestamp().to_representation(value)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    uuid = serializers.CharField(source="slug")
    parent_account_id = serializers.IntegerField(source="parent_id", allow_null=True)
    root_account_id = serializers.SerializerMethodField()
    sis_account_id = serializers.CharField(allow_null=True)
    workflow_state = serializers.SerializerMethodField()
    seat_limit = serializers.IntegerField(allow_null=True)
    created_at = Timestamp()

    def get_root_account_id(self, account) -> int | None:
        root = self.context.get("roots", {}).get(account.pk)
        return None if root in (None, account.pk) else root

    def get_workflow_state(self, account) -> str:
        return "active"


class AccountDetailSerializer(AccountSerializer):
    """One account, with its seats and credits (not in lists: each count is a query)."""

    seats_used = serializers.SerializerMethodField()
    seats_remaining = serializers.SerializerMethodField()
    credit_balance = serializers.IntegerField()
    contact = serializers.CharField()

    def get_seats_used(self, account) -> int:
        return self.context["seats_used"]

    def get_seats_remaining(self, account) -> int | None:
        if account.seat_limit is None:
            return None
        return max(account.seat_limit - self.context["seats_used"], 0)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")
    sortable_name = serializers.SerializerMethodField()
    short_name = serializers.CharField(source="get_short_name")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    sis_user_id = serializers.CharField(allow_null=True)
    integration_id = serializers.SerializerMethodField()
    login_id = serializers.CharField(source="username")
    email = serializers.CharField()
    account_id = serializers.IntegerField(source="organisation_id", allow_null=True)
    workflow_state = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=UserStatus.choices)
    status_changed_at = Timestamp()
    created_at = Timestamp(source="date_joined")
    last_login = Timestamp()
    anonymised = serializers.BooleanField(source="is_anonymised")

    def get_sortable_name(self, user) -> str:
        if user.last_name and user.first_name:
            return f"{user.last_name}, {user.first_name}"
        return user.last_name or user.first_name or user.username

    def get_integration_id(self, user) -> str | None:
        return None

    def get_workflow_state(self, user) -> str:
        return WORKFLOW_STATES.get(user.status, user.status)


class LoginCredentialsSerializer(serializers.Serializer):
    reset_link_sent_to = serializers.CharField(source="masked_email")
    temporary_password = serializers.CharField()
    expires_at = Timestamp()


class UserWithCredentialsSerializer(UserSerializer):
    """A reactivated or undeleted user, with the one-time way back in (shown once)."""

    login_credentials = serializers.SerializerMethodField()

    def get_login_credentials(self, user) -> dict | None:
        credentials = self.context.get("credentials")
        if credentials is None or not (
            credentials.reset_link_sent_to or credentials.temporary_password
        ):
            return None
        return LoginCredentialsSerializer(credentials).data


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")
    login_id = serializers.CharField(source="username")


def _plain(value):
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


class HistorySerializer(serializers.Serializer):
    """One row of a user's change log (a `HistoryEntry`): a change to the user, to one of
    their enrolments or to one of their segment memberships; who, when, what and why."""

    id = serializers.IntegerField(source="row.history_id")
    created_at = Timestamp(source="row.history_date")
    event = serializers.SerializerMethodField()
    object_type = serializers.CharField(source="kind")
    object_id = serializers.IntegerField(source="row.id")
    actor = ActorSerializer(source="row.history_user", allow_null=True)
    reason = serializers.CharField(source="row.history_change_reason", allow_null=True)
    changes = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    course_id = serializers.SerializerMethodField()
    segment_id = serializers.SerializerMethodField()

    def get_event(self, entry) -> str:
        return HISTORY_EVENTS.get(entry.row.history_type, entry.row.history_type)

    def get_status(self, entry) -> str | None:
        """The user's status after a change to the user; null for other rows."""
        return entry.row.status if entry.kind == "user" else None

    def get_course_id(self, entry) -> int | None:
        return entry.row.course_id if entry.kind == "enrollment" else None

    def get_segment_id(self, entry) -> int | None:
        return entry.row.segment_id if entry.kind == "segment_membership" else None

    def get_changes(self, entry) -> dict:
        """{field: [before, after]}: against the previous version, or everything if the first."""
        row, previous = entry.row, entry.previous
        changes = {}
        for name in HISTORY_FIELDS[entry.kind]:
            after = getattr(row, name, None)
            before = getattr(previous, name, None) if previous is not None else None
            if previous is None and row.history_type == "+":
                if after not in (None, "", False):
                    changes[name] = [None, _plain(after)]
            elif previous is not None and before != after:
                changes[name] = [_plain(before), _plain(after)]
        return changes
