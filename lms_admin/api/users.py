"""Accounts (our organisations) and users, as Canvas's REST API serves them.

Every change goes through users/services.py with the token's owner as the actor and
"API: <method> <route>" as the reason.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from enrollments.selectors import seats_used
from lms_admin.api.base import PAGE_PARAMETERS, BadRequest, CanvasView, path_lookup
from lms_admin.api.user_serializers import (
    AccountDetailSerializer,
    AccountSerializer,
    HistorySerializer,
    UserSerializer,
    UserWithCredentialsSerializer,
)
from lms_admin.plumbing.scoping import organisation_tree_ids
from users import selectors, services

ACCOUNT_ID = OpenApiParameter(
    "account_id", str, OpenApiParameter.PATH, description="A number, sis_account_id:X or self."
)
USER_ID = OpenApiParameter(
    "user_id",
    str,
    OpenApiParameter.PATH,
    description="A number, sis_user_id:X, sis_login_id:X (the username) or self.",
)
USER_EVENTS = ("suspend", "unsuspend")


def filter_errors(filterset) -> None:
    """A filter set's form errors as a 400 that names the parameter."""
    if filterset.is_valid():
        return
    list_filters = {
        "state",
        "type",
        "role",
        "sis_user_id",
        "sis_section_id",
        "sis_course_id",
        "workflow_state",
    }
    for name, messages in filterset.errors.items():
        shown = f"{name}[]" if name in list_filters else name
        raise BadRequest(f"{shown}: {' '.join(messages)}", shown)


def split_name(params, *, required: bool) -> dict:
    """Canvas's user[name] / user[sortable_name] as our first and last names."""
    sortable = params.text("user", "sortable_name")
    name = params.text("user", "name")
    if sortable and "," in sortable:
        last, first = (part.strip() for part in sortable.split(",", 1))
        return {"first_name": first, "last_name": last}
    if name is None:
        if required:
            return {}
        return {}
    name = " ".join(name.split())
    first, _, last = name.rpartition(" ")
    if not first:
        return {"first_name": last, "last_name": ""}
    return {"first_name": first, "last_name": last}


def user_in_account(viewer, account, user_id):
    user = selectors.user_get(viewer, user_id)
    if user.organisation_id not in organisation_tree_ids(account.pk):
        raise Http404
    return user


@path_lookup("account_id")
def _account_in_path(viewer, value, found):
    return selectors.account_get(viewer, value)


@path_lookup("user_id")
def user_in_path(viewer, value, found):
    """A user named in the path: within the path's account when there is one."""
    account = found.get("account_id")
    if account is not None:
        return user_in_account(viewer, account, value)
    return selectors.user_get(viewer, value)


class AccountListView(CanvasView):
    @extend_schema(
        summary="Accounts you manage",
        parameters=PAGE_PARAMETERS,
        responses=AccountSerializer(many=True),
    )
    def get(self, request):
        return self._page(selectors.accounts_administered(request.user))

    def _page(self, queryset):
        rows = self.paginator.paginate_queryset(queryset, self.request, view=self)
        roots = selectors.root_ids(rows)
        data = AccountSerializer(rows, many=True, context={"roots": roots}).data
        return self.paginator.get_paginated_response(data)


class AccountDetailView(CanvasView):
    @extend_schema(
        summary="Get an account, with its seats and credits",
        parameters=[ACCOUNT_ID],
        responses=AccountDetailSerializer,
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        context = {"roots": selectors.root_ids([account]), "seats_used": seats_used(account)}
        return Response(AccountDetailSerializer(account, context=context).data)


class SubAccountListView(AccountListView):
    @extend_schema(
        summary="Sub-accounts of an account",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("recursive", bool, description="All levels, not just children."),
            *PAGE_PARAMETERS,
        ],
        responses=AccountSerializer(many=True),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        recursive = self.params.boolean("recursive")
        return self._page(selectors.sub_accounts(request.user, account, recursive=recursive))


USER_CREATE_BODY = inline_serializer(
    "UserCreate",
    {
        "user": inline_serializer(
            "UserCreateUser",
            {
                "name": serializers.CharField(required=False),
                "sortable_name": serializers.CharField(required=False),
                "email": serializers.EmailField(required=False),
            },
        ),
        "pseudonym": inline_serializer(
            "UserCreatePseudonym",
            {
                "unique_id": serializers.CharField(help_text="The username (login)."),
                "sis_user_id": serializers.CharField(required=False),
                "password": serializers.CharField(required=False),
            },
        ),
        "communication_channel": inline_serializer(
            "UserCreateChannel",
            {
                "type": serializers.CharField(required=False),
                "address": serializers.EmailField(required=False),
            },
            required=False,
        ),
    },
)


class AccountUsersView(CanvasView):
    @extend_schema(
        summary="Users of an account and its sub-accounts",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("search_term", str, description="Part of a name, login or email."),
            OpenApiParameter(
                "state[]",
                str,
                many=True,
                enum=["active", "inactive", "deleted", "all"],
                description="User statuses; by default every one but deleted.",
            ),
            OpenApiParameter("include_deleted_users", bool),
            OpenApiParameter(
                "sort",
                str,
                enum=[
                    "username",
                    "name",
                    "sortable_name",
                    "login_id",
                    "email",
                    "sis_id",
                    "last_login",
                    "created_at",
                    "status",
                ],
            ),
            OpenApiParameter("order", str, enum=["asc", "desc"]),
            *PAGE_PARAMETERS,
        ],
        responses=UserSerializer(many=True),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        filterset = selectors.account_users(request.user, account, self.params.data)
        filter_errors(filterset)
        return self.page(filterset.qs, UserSerializer)

    @extend_schema(
        summary="Create a user in an account",
        parameters=[ACCOUNT_ID],
        request=USER_CREATE_BODY,
        responses=UserSerializer,
    )
    def post(self, request, account_id):
        self.require("users.add_user")
        account = selectors.account_get(request.user, account_id)
        params = self.params
        username = (params.text("pseudonym", "unique_id") or "").strip()
        if not username:
            raise BadRequest("pseudonym[unique_id] is required.", "pseudonym[unique_id]")
        email = (
            params.text("communication_channel", "address")
            or params.text("user", "email")
            or (username if "@" in username else "")
        )
        user = services.user_create(
            username=username,
            email=email.strip(),
            sis_user_id=(params.text("pseudonym", "sis_user_id") or "").strip() or None,
            organisation=account,
            password=params.text("pseudonym", "password") or None,
            by=request.user,
            reason=self.reason(),
            **split_name(params, required=False),
        )
        return Response(UserSerializer(user).data)


USER_UPDATE_BODY = inline_serializer(
    "UserUpdate",
    {
        "user": inline_serializer(
            "UserUpdateUser",
            {
                "name": serializers.CharField(required=False),
                "sortable_name": serializers.CharField(required=False),
                "email": serializers.EmailField(required=False),
                "event": serializers.ChoiceField(choices=USER_EVENTS, required=False),
            },
        )
    },
)


class UserDetailView(CanvasView):
    @extend_schema(summary="Get a user", parameters=[USER_ID], responses=UserSerializer)
    def get(self, request, user_id):
        return Response(UserSerializer(selectors.user_get(request.user, user_id)).data)

    @extend_schema(
        summary="Edit a user; user[event]=suspend|unsuspend deactivates or reactivates",
        parameters=[USER_ID],
        request=USER_UPDATE_BODY,
        responses=UserWithCredentialsSerializer,
    )
    def put(self, request, user_id):
        self.require("users.change_user")
        user = selectors.user_get(request.user, user_id)
        params = self.params
        event = params.text("user", "event")
        if event is not None and event not in USER_EVENTS:
            raise BadRequest(
                f"user[event] must be suspend or unsuspend, not {event!r}.", "user[event]"
            )
        changes = split_name(params, required=False)
        email = params.text("user", "email")
        if email is not None:
            changes["email"] = email.strip()
        credentials = None
        with transaction.atomic():
            if changes:
                user = services.user_update(user, by=request.user, reason=self.reason(), **changes)
            if event == "suspend":
                user = services.user_deactivate(
                    user, by=request.user, reason=self.reason("suspend")
                )
            elif event == "unsuspend":
                credentials = services.user_reactivate(
                    user, by=request.user, reason=self.reason("unsuspend")
                )
                user = credentials.user
        context = {"credentials": credentials}
        return Response(UserWithCredentialsSerializer(user, context=context).data)


class AccountUserDeleteView(CanvasView):
    @extend_schema(
        summary="Delete a user (their records are kept; restore undoes it)",
        parameters=[ACCOUNT_ID, USER_ID],
        responses={200: UserSerializer},
    )
    def delete(self, request, account_id, user_id):
        self.require("users.delete_user")
        account = selectors.account_get(request.user, account_id)
        user = user_in_account(request.user, account, user_id)
        user = services.user_delete(user, by=request.user, reason=self.reason())
        return Response(UserSerializer(user).data)


class AccountUserRestoreView(CanvasView):
    @extend_schema(
        summary="Restore (undelete) a user with every enrolment as it was",
        parameters=[ACCOUNT_ID, USER_ID],
        request=None,
        responses=UserWithCredentialsSerializer,
    )
    def put(self, request, account_id, user_id):
        self.require("users.delete_user")
        account = selectors.account_get(request.user, account_id)
        user = user_in_account(request.user, account, user_id)
        credentials = services.user_undelete(user, by=request.user, reason=self.reason())
        context = {"credentials": credentials}
        return Response(UserWithCredentialsSerializer(credentials.user, context=context).data)


class UserHistoryView(CanvasView):
    @extend_schema(
        summary="A user's change log, newest first: the user, their enrolments and their "
        "segment memberships",
        parameters=[USER_ID, *PAGE_PARAMETERS],
        responses=HistorySerializer(many=True),
    )
    def get(self, request, user_id):
        user = selectors.user_get(request.user, user_id)
        paginator = self.paginator
        keys = paginator.paginate_queryset(selectors.user_history(user), request, view=self)
        entries = selectors.user_history_entries(keys)
        return paginator.get_paginated_response(HistorySerializer(entries, many=True).data)
