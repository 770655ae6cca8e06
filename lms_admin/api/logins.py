"""Logins (Canvas's pseudonyms), ending sessions, sign-in events, profiles and channels.

Each person has one login here: its id is the person's id, its unique_id their username.
Canvas refuses to delete a person's last login, and so do we; suspending it deactivates
the person through the lifecycle service.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from lms_admin.api.base import PAGE_PARAMETERS, BadRequest, CanvasView, errors, path_lookup
from lms_admin.api.user_serializers import Timestamp
from lms_admin.api.users import ACCOUNT_ID, USER_ID, user_in_account
from lms_admin.plumbing.scoping import organisation_tree_ids
from users import selectors, services
from users.models import UserStatus


class LoginSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    user_id = serializers.IntegerField(source="pk")
    account_id = serializers.IntegerField(source="organisation_id", allow_null=True)
    unique_id = serializers.CharField(source="username")
    sis_user_id = serializers.CharField(allow_null=True)
    integration_id = serializers.SerializerMethodField()
    authentication_provider_id = serializers.SerializerMethodField()
    authentication_provider_type = serializers.SerializerMethodField()
    created_at = Timestamp(source="date_joined")
    workflow_state = serializers.SerializerMethodField()

    def get_integration_id(self, user) -> str | None:
        return None

    def get_authentication_provider_id(self, user) -> int | None:
        return None

    def get_authentication_provider_type(self, user) -> str | None:
        return None

    def get_workflow_state(self, user) -> str:
        return services.login_state(user)


class AuthenticationEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = Timestamp(source="at")
    event_type = serializers.CharField()
    pseudonym_id = serializers.IntegerField(source="user_id")
    user_id = serializers.IntegerField()
    account_id = serializers.IntegerField(source="organisation_id", allow_null=True)
    request_id = serializers.SerializerMethodField()
    ip_address = serializers.IPAddressField(source="address", allow_null=True)

    def get_request_id(self, event) -> str | None:
        return None


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")
    short_name = serializers.CharField(source="get_short_name")
    sortable_name = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    bio = serializers.SerializerMethodField()
    primary_email = serializers.CharField(source="email")
    login_id = serializers.CharField(source="username")
    sis_user_id = serializers.CharField(allow_null=True)
    integration_id = serializers.SerializerMethodField()
    avatar_url = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    locale = serializers.SerializerMethodField()

    def get_sortable_name(self, user) -> str:
        if user.last_name and user.first_name:
            return f"{user.last_name}, {user.first_name}"
        return user.last_name or user.first_name or user.username

    def get_title(self, user) -> str | None:
        return None

    def get_bio(self, user) -> str | None:
        return None

    def get_integration_id(self, user) -> str | None:
        return None

    def get_avatar_url(self, user) -> str | None:
        return None

    def get_time_zone(self, user) -> str | None:
        return None

    def get_locale(self, user) -> str | None:
        return None


class ChannelSerializer(serializers.Serializer):
    """A person's one email address, as Canvas's communication channel."""

    id = serializers.IntegerField(source="pk")
    address = serializers.CharField(source="email")
    type = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()
    user_id = serializers.IntegerField(source="pk")
    workflow_state = serializers.SerializerMethodField()

    def get_type(self, user) -> str:
        return "email"

    def get_position(self, user) -> int:
        return 1

    def get_workflow_state(self, user) -> str:
        return "active"


def _login_of(user, login_id: str):
    """The login `login_id` of `user`: a person's only login has the person's id."""
    if str(login_id) != str(user.pk):
        raise Http404
    return user


@path_lookup("login_id")
def _login_in_path(viewer, value, found):
    if "user_id" in found:
        return _login_of(found["user_id"], value)
    return user_in_account(viewer, found["account_id"], value)


class UserLoginsView(CanvasView):
    @extend_schema(
        summary="A user's logins", parameters=[USER_ID], responses=LoginSerializer(many=True)
    )
    def get(self, request, user_id):
        user = selectors.user_get(request.user, user_id)
        return self.page(selectors.visible_users(request.user).filter(pk=user.pk), LoginSerializer)


class UserLoginDeleteView(CanvasView):
    @extend_schema(
        summary="Delete a login (a person's last login is kept, as in Canvas)",
        parameters=[USER_ID],
        responses={200: LoginSerializer},
    )
    def delete(self, request, user_id, login_id):
        self.require("users.change_user")
        _login_of(selectors.user_get(request.user, user_id), login_id)
        # Canvas answers this when the login is the user's last one; here it always is.
        return Response(
            errors("Users must have at least one login", attribute="unique_id"), status=400
        )


LOGIN_BODY = inline_serializer(
    "LoginBody",
    {
        "user": inline_serializer("LoginUser", {"id": serializers.CharField()}, required=False),
        "login": inline_serializer(
            "LoginFields",
            {
                "unique_id": serializers.CharField(required=False),
                "password": serializers.CharField(required=False),
                "sis_user_id": serializers.CharField(required=False),
                "workflow_state": serializers.ChoiceField(
                    choices=services.LOGIN_STATES, required=False
                ),
            },
        ),
    },
)


class AccountLoginsView(CanvasView):
    @extend_schema(
        summary="Logins of an account's people",
        parameters=[ACCOUNT_ID, *PAGE_PARAMETERS],
        responses=LoginSerializer(many=True),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        logins = (
            selectors.visible_users(request.user)
            .filter(organisation_id__in=organisation_tree_ids(account.pk))
            .exclude(status=UserStatus.DELETED)
            .order_by("id")
        )
        return self.page(logins, LoginSerializer)

    @extend_schema(
        summary="Create a login (each person has exactly one: refused if they have it)",
        parameters=[ACCOUNT_ID],
        request=LOGIN_BODY,
        responses=LoginSerializer,
    )
    def post(self, request, account_id):
        self.require("users.change_user")
        account = selectors.account_get(request.user, account_id)
        user_id = self.params.text("user", "id")
        if not user_id:
            raise BadRequest("user[id] is required.", "user[id]")
        unique_id = (self.params.text("login", "unique_id") or "").strip()
        if not unique_id:
            raise BadRequest("login[unique_id] is required.", "login[unique_id]")
        user = user_in_account(request.user, account, user_id)
        if user.status != UserStatus.DELETED:
            return Response(
                errors(
                    f"This person already has a login (id {user.pk}); each person has one "
                    "login here. Change it with PUT /api/v1/accounts/:account_id/logins/"
                    f"{user.pk}.",
                    attribute="unique_id",
                ),
                status=400,
            )
        return Response(
            errors(
                "This person is deleted. Restore them first "
                "(PUT /api/v1/accounts/:account_id/users/:id/restore).",
                attribute="user[id]",
            ),
            status=400,
        )


class AccountLoginDetailView(CanvasView):
    @extend_schema(
        summary="Edit a login: unique_id, password, sis_user_id, workflow_state "
        "(suspended deactivates the person)",
        parameters=[ACCOUNT_ID],
        request=LOGIN_BODY,
        responses=LoginSerializer,
    )
    def put(self, request, account_id, login_id):
        self.require("users.change_user")
        account = selectors.account_get(request.user, account_id)
        user = user_in_account(request.user, account, login_id)
        params = self.params
        user, _ = services.user_login_update(
            user,
            by=request.user,
            reason=self.reason(),
            unique_id=params.text("login", "unique_id"),
            sis_user_id=params.text("login", "sis_user_id"),
            password=params.text("login", "password"),
            workflow_state=params.text("login", "workflow_state"),
        )
        return Response(LoginSerializer(user).data)


class UserSessionsView(CanvasView):
    @extend_schema(
        summary="End every session and token of a user",
        parameters=[USER_ID],
        request=None,
        responses={200: OpenApiResponse(OpenApiTypes.STR, description='The JSON string "ok".')},
    )
    def delete(self, request, user_id):
        self.require("users.change_user")
        user = selectors.user_get(request.user, user_id)
        services.user_end_sessions(user, by=request.user, reason=self.reason())
        return Response("ok")


class UserAuthenticationEventsView(CanvasView):
    @extend_schema(
        summary="A user's sign-in and sign-out events, newest first",
        parameters=[USER_ID, *PAGE_PARAMETERS],
        responses=AuthenticationEventSerializer(many=True),
    )
    def get(self, request, user_id):
        user = selectors.user_get(request.user, user_id)
        events = selectors.authentication_events_of_user(request.user, user)
        return self.page(events, AuthenticationEventSerializer)


class AccountAuthenticationEventsView(CanvasView):
    @extend_schema(
        summary="Sign-in and sign-out events of an account's people, newest first",
        parameters=[ACCOUNT_ID, *PAGE_PARAMETERS],
        responses=AuthenticationEventSerializer(many=True),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        events = selectors.authentication_events_of_account(request.user, account)
        return self.page(events, AuthenticationEventSerializer)


class UserProfileView(CanvasView):
    @extend_schema(summary="A user's profile", parameters=[USER_ID], responses=ProfileSerializer)
    def get(self, request, user_id):
        return Response(ProfileSerializer(selectors.user_get(request.user, user_id)).data)


class UserChannelsView(CanvasView):
    @extend_schema(
        summary="A user's communication channels (their email address)",
        parameters=[USER_ID],
        responses=ChannelSerializer(many=True),
    )
    def get(self, request, user_id):
        user = selectors.user_get(request.user, user_id)
        channels = selectors.visible_users(request.user).filter(pk=user.pk).exclude(email="")
        return self.page(channels, ChannelSerializer)
