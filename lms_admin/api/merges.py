"""Merging users, as Canvas's API does it: `PUT /users/:id/merge_into/:destination_user_id`
(and the `/accounts/:account_id/users/:destination_user_id` form) returns the destination
user; `POST /users/:id/split` undoes every merge into the user and returns the users
restored, with no time limit. Both through users.services with the token's owner as actor.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from lms_admin.api.base import BadRequest, CanvasView, path_lookup
from lms_admin.api.user_serializers import UserSerializer
from lms_admin.api.users import ACCOUNT_ID, USER_ID, user_in_account, user_in_path
from users import selectors, services

DESTINATION_USER_ID = OpenApiParameter(
    "destination_user_id",
    str,
    OpenApiParameter.PATH,
    description="The user to keep (the primary): a number, sis_user_id:X or sis_login_id:X.",
)


# The destination is found as any user in the path is: within the path's account, if any.
path_lookup("destination_user_id")(user_in_path)


class MergeIntoView(CanvasView):
    @extend_schema(
        summary="Merge a user into another one (undo with POST /users/:id/split, at any time)",
        parameters=[USER_ID, DESTINATION_USER_ID],
        request=None,
        responses=UserSerializer,
    )
    def put(self, request, user_id, destination_user_id, destination_account_id=None):
        self.require("users.change_user")
        source = selectors.user_get(request.user, user_id)
        if destination_account_id is None:
            destination = selectors.user_get(request.user, destination_user_id)
        else:
            account = selectors.account_get(request.user, destination_account_id)
            destination = user_in_account(request.user, account, destination_user_id)
        services.users_merge(
            primary=destination, others=[source], by=request.user, reason=self.reason()
        )
        destination.refresh_from_db()
        return Response(UserSerializer(destination).data)


class AccountMergeIntoView(MergeIntoView):
    @extend_schema(
        summary="Merge a user into a user of an account",
        parameters=[USER_ID, ACCOUNT_ID, DESTINATION_USER_ID],
        request=None,
        responses=UserSerializer,
    )
    def put(self, request, user_id, account_id, destination_user_id):
        return super().put(request, user_id, destination_user_id, account_id)


class SplitView(CanvasView):
    @extend_schema(
        summary="Undo every merge into a user; returns the users restored",
        parameters=[USER_ID],
        request=None,
        responses=UserSerializer(many=True),
    )
    def post(self, request, user_id):
        self.require("users.change_user")
        user = selectors.user_get(request.user, user_id)
        merges = list(selectors.merges_to_split(user))
        if not merges:
            raise BadRequest(f"{user.username} has no merged accounts to split off.")
        restored = []
        with transaction.atomic():
            for merge in merges:
                report = services.merge_undo(merge, by=request.user, reason=self.reason())
                restored += report.accounts
        return Response(UserSerializer(restored, many=True).data)
