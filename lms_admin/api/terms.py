"""Enrolment terms, as Canvas's REST API serves them ("List enrollment terms" and "Retrieve
enrollment term"): the terms an account's courses may be in, read only. Terms are created
and changed in the admin or by terms.csv."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from enrollments import selectors
from enrollments.filters import TERM_STATES
from lms_admin.api.base import PAGE_PARAMETERS, CanvasView, path_lookup
from lms_admin.api.enrollment_serializers import TermListSerializer, TermSerializer
from lms_admin.api.users import ACCOUNT_ID, filter_errors
from users import selectors as user_selectors

TERM_ID = OpenApiParameter(
    "term_id", str, OpenApiParameter.PATH, description="A number or sis_term_id:X."
)


@path_lookup("term_id")
def _term_in_path(viewer, value, found):
    return selectors.account_term_get(viewer, found["account_id"], value)


class AccountTermsView(CanvasView):
    @extend_schema(
        operation_id="accounts_terms_list",
        summary="Terms of an account: its own, its parent accounts' and the shared ones",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter(
                "workflow_state[]",
                str,
                many=True,
                enum=TERM_STATES,
                description="Several at once; default active. Terms are never deleted here.",
            ),
            OpenApiParameter("term_name", str, description="Part of the term's name."),
            *PAGE_PARAMETERS,
        ],
        responses=TermListSerializer,
    )
    def get(self, request, account_id):
        account = user_selectors.account_get(request.user, account_id)
        filterset = selectors.account_terms(request.user, account, self.params.data)
        filter_errors(filterset)
        paginator = self.paginator
        rows = paginator.paginate_queryset(filterset.qs, request, view=self)
        data = {"enrollment_terms": TermSerializer(rows, many=True).data}
        return paginator.get_paginated_response(data)


class AccountTermDetailView(CanvasView):
    @extend_schema(
        operation_id="accounts_terms_retrieve",
        summary="Get a term of an account",
        parameters=[ACCOUNT_ID, TERM_ID],
        responses=TermSerializer,
    )
    def get(self, request, account_id, term_id):
        account = user_selectors.account_get(request.user, account_id)
        term = selectors.account_term_get(request.user, account, term_id)
        return Response(TermSerializer(term).data)
