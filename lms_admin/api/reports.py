"""The Archived report in the REST API: GET /api/v1/accounts/:id/reports/archived.

It reads the same FilterSet and selector as the admin's Archived page and its "Inactive
users" file (reports/filters.py, reports/selectors/archived.py), so the page, the file and
the API list the same people with the same history. The account in the path plays the
page's organisation filter (it includes sub-accounts); the other filters are query
parameters with the page's names.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from lms_admin.api.base import PAGE_PARAMETERS, CanvasView
from lms_admin.api.user_serializers import ActorSerializer, Timestamp, UserSerializer
from lms_admin.api.users import ACCOUNT_ID, filter_errors
from reports.filters import ArchivedFilterSet
from reports.selectors import archived
from users import selectors
from users.models import User

FILTERS = ("segment", "deactivated_from", "deactivated_to")


class ArchivedEnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    course_id = serializers.IntegerField()
    course_code = serializers.CharField(source="course.code")
    course_name = serializers.CharField(source="course.name")
    sis_course_id = serializers.CharField(source="course.sis_course_id", allow_null=True)
    course_section_id = serializers.IntegerField(source="section_id")
    type = serializers.CharField()
    enrollment_state = serializers.CharField(source="state")
    created_at = Timestamp()
    completed_at = Timestamp()
    score = serializers.DecimalField(
        max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    certificate_codes = serializers.SerializerMethodField()

    def get_certificate_codes(self, enrollment) -> list[str]:
        return [certificate.verification_code for certificate in enrollment.certificates.all()]


class ArchivedPersonSerializer(serializers.Serializer):
    """One inactive user: who they are, how they left, and their whole training history."""

    user = UserSerializer()
    inactive_since = Timestamp(source="user.status_changed_at")
    deactivated_at = Timestamp(source="departure.at")
    deactivated_by = ActorSerializer(source="departure.actor", allow_null=True)
    deactivation_reason = serializers.CharField(source="departure.reason")
    enrollment_states = serializers.SerializerMethodField()
    enrollments = ArchivedEnrollmentSerializer(many=True)

    def get_enrollment_states(self, person) -> dict[str, int]:
        counts: dict[str, int] = {}
        for enrollment in person.enrollments:
            counts[enrollment.state] = counts.get(enrollment.state, 0) + 1
        return counts


class ArchivedReportView(CanvasView):
    @extend_schema(
        summary="The Archived report: inactive users, how they left, and their training history",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("segment", OpenApiTypes.INT, description="A segment's id."),
            OpenApiParameter(
                "deactivated_from", OpenApiTypes.DATE, description="Deactivated on or after."
            ),
            OpenApiParameter(
                "deactivated_to", OpenApiTypes.DATE, description="Deactivated on or before."
            ),
            *PAGE_PARAMETERS,
        ],
        responses=ArchivedPersonSerializer(many=True),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        data = {name: self.params.text(name) for name in FILTERS if self.params.get(name)}
        data["organisation"] = str(account.pk)
        filterset = ArchivedFilterSet(
            data=data, queryset=User.objects.for_user(request.user), request=request
        )
        filter_errors(filterset)
        paginator = self.paginator
        users = paginator.paginate_queryset(archived.archived_users(filterset), request, view=self)
        people = archived.with_history(users)
        return paginator.get_paginated_response(ArchivedPersonSerializer(people, many=True).data)
