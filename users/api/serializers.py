"""Canvas's JSON for accounts and users, plus our history and Archived report rows."""

from __future__ import annotations

import datetime

from rest_framework import serializers

from users.models import UserStatus

# Canvas's pseudonym states: a suspended login is our inactive user.
WORKFLOW_STATES = {
    UserStatus.ACTIVE: "active",
    UserStatus.INACTIVE: "suspended",
    UserStatus.DELETED: "deleted",
}
HISTORY_EVENTS = {"+": "created", "~": "updated", "-": "deleted"}
HISTORY_FIELDS = (
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
)


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
    return value


class HistorySerializer(serializers.Serializer):
    """One row of a user's change log: who, when, what and why."""

    id = serializers.IntegerField(source="history_id")
    created_at = Timestamp(source="history_date")
    event = serializers.SerializerMethodField()
    actor = ActorSerializer(source="history_user", allow_null=True)
    reason = serializers.CharField(source="history_change_reason", allow_null=True)
    changes = serializers.SerializerMethodField()
    status = serializers.CharField()

    def get_event(self, row) -> str:
        return HISTORY_EVENTS.get(row.history_type, row.history_type)

    def get_changes(self, row) -> dict:
        """{field: [before, after]}: against the previous row, or everything if the first."""
        previous = self.context.get("previous", {}).get(row.history_id)
        changes = {}
        for name in HISTORY_FIELDS:
            after = getattr(row, name, None)
            before = getattr(previous, name, None) if previous is not None else None
            if previous is None and row.history_type == "+":
                if after not in (None, "", False):
                    changes[name] = [None, _plain(after)]
            elif previous is not None and before != after:
                changes[name] = [_plain(before), _plain(after)]
        return changes


class ArchivedRowSerializer(serializers.Serializer):
    user = UserSerializer(source="*")
    inactive_since = Timestamp(source="status_changed_at")
    enrollment_states = serializers.SerializerMethodField()

    def get_enrollment_states(self, user) -> dict:
        return self.context.get("counts", {}).get(user.pk, {})
