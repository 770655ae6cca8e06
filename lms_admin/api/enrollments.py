"""Courses, sections and enrolments, as Canvas's REST API serves them.

Writes go through enrollments/services.py (API enrolments have source "api"); an enrolment
keeps its section through every state change (seed 001).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from enrollments import selectors, services
from enrollments.filters import COURSE_SORTS, STATE_VALUES
from enrollments.models import EnrollmentSource, EnrollmentState, EnrollmentType
from lms_admin.api.base import PAGE_PARAMETERS, BadRequest, CanvasView, path_lookup, unescape
from lms_admin.api.enrollment_serializers import (
    CourseSerializer,
    EnrollmentSerializer,
    SectionSerializer,
)
from lms_admin.api.users import ACCOUNT_ID, USER_ID, filter_errors
from users import selectors as user_selectors

COURSE_ID = OpenApiParameter(
    "course_id", str, OpenApiParameter.PATH, description="A number or sis_course_id:X."
)
SECTION_ID = OpenApiParameter(
    "section_id", str, OpenApiParameter.PATH, description="A number or sis_section_id:X."
)
ENROLLMENT_ID = OpenApiParameter(
    "enrollment_id",
    str,
    OpenApiParameter.PATH,
    description="A number, or the user's sis_user_id:X or sis_login_id:X in this course.",
)
TASKS = {
    "conclude": EnrollmentState.COMPLETED,
    "delete": EnrollmentState.DELETED,
    "inactivate": EnrollmentState.INACTIVE,
    "deactivate": EnrollmentState.INACTIVE,
}
START_STATES = (EnrollmentState.ACTIVE, EnrollmentState.INVITED, EnrollmentState.INACTIVE)
ENROLLMENT_FILTERS = [
    OpenApiParameter(
        "state[]",
        str,
        many=True,
        enum=STATE_VALUES,
        description="Several at once; `all` is every state. Default: active and invited.",
    ),
    OpenApiParameter("type[]", str, many=True, enum=EnrollmentType.values),
    OpenApiParameter("role[]", str, many=True, enum=EnrollmentType.values),
    OpenApiParameter("user_id", str, description="A number, sis_user_id:X, sis_login_id:X."),
    OpenApiParameter("sis_user_id[]", str, many=True),
    OpenApiParameter("sis_section_id[]", str, many=True),
    *PAGE_PARAMETERS,
]


@path_lookup("course_id")
def _course_in_path(viewer, value, found):
    return selectors.course_get(viewer, value)


@path_lookup("section_id")
def _section_in_path(viewer, value, found):
    return selectors.section_get(viewer, value, course=found.get("course_id"))


@path_lookup("enrollment_id")
def _enrollment_in_path(viewer, value, found):
    return selectors.enrollment_get(viewer, found["course_id"], value)


def parse_date(params, *path):
    value = params.text(*path)
    if not value:
        return None
    name = path[0] + "".join(f"[{part}]" for part in path[1:])
    try:
        return datetime.date.fromisoformat(value[:10])
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date, not {value!r}.", name) from None


def course_term(viewer, account, params):
    """`course[term_id]` (an id or sis_term_id:X) as a term a course of `account` may be in;
    None when it is not given; a term the account may not use, or none, is a 400."""
    value = (params.text("course", "term_id") or "").strip()
    if not value:
        return None
    term = selectors.term_for_account(viewer, account, unescape(value))
    if term is None:
        raise BadRequest(
            f"course[term_id]: no term “{value}” in this account. Give a term's id, or "
            "sis_term_id: and its SIS term ID, of a term of this account, of an account above "
            "it, or a shared one.",
            "course[term_id]",
        )
    return term


class EnrollmentListMixin:
    def list_enrollments(self, **scope):
        filterset = selectors.enrollments_list(
            self.request.user, self.params.data, request=self.request, **scope
        )
        filter_errors(filterset)
        return self.page(filterset.qs, EnrollmentSerializer)


ENROLLMENT_BODY = inline_serializer(
    "EnrollmentCreate",
    {
        "enrollment": inline_serializer(
            "EnrollmentCreateFields",
            {
                "user_id": serializers.CharField(help_text="A number, sis_user_id:X, ..."),
                "type": serializers.ChoiceField(choices=EnrollmentType.values, required=False),
                "enrollment_state": serializers.ChoiceField(
                    choices=list(START_STATES), required=False
                ),
                "course_section_id": serializers.CharField(required=False),
                "notify": serializers.BooleanField(required=False),
            },
        )
    },
)


class EnrollmentCreateMixin(EnrollmentListMixin):
    def create_enrollment(self, course, section=None):
        """Enrol, or return the existing enrolment of this user, section and role.

        As in Canvas, enrolling someone already there changes nothing but the state asked
        for, and never moves them to another section.
        """
        self.require("enrollments.add_enrollment")
        params = self.params
        viewer = self.request.user
        user_value = params.text("enrollment", "user_id")
        if not user_value:
            raise BadRequest("enrollment[user_id] is required.", "enrollment[user_id]")
        user = user_selectors.user_get(viewer, unescape(user_value))
        type = params.text("enrollment", "type") or params.text("enrollment", "role")
        type = type or EnrollmentType.STUDENT
        if type not in EnrollmentType.values:
            raise BadRequest(
                f"{type!r} is not an enrollment type. Use one of: "
                f"{', '.join(EnrollmentType.values)}.",
                "enrollment[type]",
            )
        state = params.text("enrollment", "enrollment_state")
        if state is not None and state not in START_STATES:
            raise BadRequest(
                f"{state!r} is not a state to enrol in. Use one of: {', '.join(START_STATES)}.",
                "enrollment[enrollment_state]",
            )
        if section is None:
            section_value = params.text("enrollment", "course_section_id")
            if section_value:
                section = selectors.section_get(viewer, unescape(section_value))
        section = section or selectors.default_section(course)
        notify = params.boolean("enrollment", "notify", default=False)
        with transaction.atomic():
            existing = selectors.enrollment_find(user=user, section=section, type=type)
            if existing is not None:
                wanted = state
                if existing.state == EnrollmentState.DELETED:
                    wanted = state or EnrollmentState.INVITED
                if wanted and wanted != existing.state:
                    services.enrollment_set_state(
                        existing, wanted, by=viewer, reason=self.reason("re-enrolled")
                    )
                enrollment = existing
            else:
                enrollment = services.enrollment_create(
                    user=user,
                    course=course,
                    section=section,
                    type=type,
                    state=state or EnrollmentState.INVITED,
                    source=EnrollmentSource.API,
                    notify=notify,
                    by=viewer,
                    reason=self.reason(),
                )
        return Response(EnrollmentSerializer(enrollment).data)


class AccountCoursesView(CanvasView):
    @extend_schema(
        summary="Courses of an account and its sub-accounts",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("search_term", str),
            OpenApiParameter("sort", str, enum=list(COURSE_SORTS)),
            OpenApiParameter("order", str, enum=["asc", "desc"]),
            *PAGE_PARAMETERS,
        ],
        responses=CourseSerializer(many=True),
    )
    def get(self, request, account_id):
        account = user_selectors.account_get(request.user, account_id)
        filterset = selectors.account_courses(request.user, account, self.params.data)
        filter_errors(filterset)
        return self.page(filterset.qs, CourseSerializer)

    @extend_schema(
        summary="Create a course (with its default section)",
        parameters=[ACCOUNT_ID],
        request=inline_serializer(
            "CourseCreate",
            {
                "course": inline_serializer(
                    "CourseCreateFields",
                    {
                        "name": serializers.CharField(required=False),
                        "course_code": serializers.CharField(required=False),
                        "sis_course_id": serializers.CharField(required=False),
                        "start_at": serializers.DateTimeField(required=False),
                        "end_at": serializers.DateTimeField(required=False),
                        "term_id": serializers.CharField(
                            required=False,
                            help_text="The course's term: its id or sis_term_id:X, a term of "
                            "the account, of an account above it, or a shared one.",
                        ),
                    },
                )
            },
        ),
        responses=CourseSerializer,
    )
    def post(self, request, account_id):
        self.require("enrollments.add_course")
        account = user_selectors.account_get(request.user, account_id)
        params = self.params
        term = course_term(request.user, account, params)
        name = (params.text("course", "name") or "").strip() or "Unnamed Course"
        code = (params.text("course", "course_code") or "").strip() or name[:100]
        course = services.course_create(
            code=code,
            name=name,
            organisation=account,
            sis_course_id=(params.text("course", "sis_course_id") or "").strip() or None,
            start_date=parse_date(params, "course", "start_at"),
            end_date=parse_date(params, "course", "end_at"),
            term=term,
            by=request.user,
            reason=self.reason(),
        )
        return Response(CourseSerializer(course).data)


class CourseDetailView(CanvasView):
    @extend_schema(summary="Get a course", parameters=[COURSE_ID], responses=CourseSerializer)
    def get(self, request, course_id):
        return Response(CourseSerializer(selectors.course_get(request.user, course_id)).data)


class CourseSectionsView(CanvasView):
    @extend_schema(
        summary="Sections of a course",
        parameters=[COURSE_ID, *PAGE_PARAMETERS],
        responses=SectionSerializer(many=True),
    )
    def get(self, request, course_id):
        course = selectors.course_get(request.user, course_id)
        return self.page(selectors.course_sections(request.user, course), SectionSerializer)

    @extend_schema(
        summary="Create a section",
        parameters=[COURSE_ID],
        request=inline_serializer(
            "SectionCreate",
            {
                "course_section": inline_serializer(
                    "SectionCreateFields",
                    {
                        "name": serializers.CharField(required=False),
                        "sis_section_id": serializers.CharField(required=False),
                    },
                )
            },
        ),
        responses=SectionSerializer,
    )
    def post(self, request, course_id):
        self.require("enrollments.add_section")
        course = selectors.course_get(request.user, course_id)
        params = self.params
        section = services.section_create(
            course,
            name=(params.text("course_section", "name") or "").strip() or "Section",
            sis_section_id=(params.text("course_section", "sis_section_id") or "").strip() or None,
            by=request.user,
            reason=self.reason(),
        )
        return Response(SectionSerializer(section).data)


class SectionDetailView(CanvasView):
    @extend_schema(summary="Get a section", parameters=[SECTION_ID], responses=SectionSerializer)
    def get(self, request, section_id, course_id=None):
        course = selectors.course_get(request.user, course_id) if course_id else None
        return Response(
            SectionSerializer(selectors.section_get(request.user, section_id, course=course)).data
        )


class CourseEnrollmentsView(EnrollmentCreateMixin, CanvasView):
    @extend_schema(
        summary="Enrolments of a course",
        parameters=[COURSE_ID, *ENROLLMENT_FILTERS],
        responses=EnrollmentSerializer(many=True),
    )
    def get(self, request, course_id):
        return self.list_enrollments(course=selectors.course_get(request.user, course_id))

    @extend_schema(
        summary="Enrol a user in a course (its default section unless one is given)",
        parameters=[COURSE_ID],
        request=ENROLLMENT_BODY,
        responses=EnrollmentSerializer,
    )
    def post(self, request, course_id):
        return self.create_enrollment(selectors.course_get(request.user, course_id))


class SectionEnrollmentsView(EnrollmentCreateMixin, CanvasView):
    @extend_schema(
        summary="Enrolments of a section",
        parameters=[SECTION_ID, *ENROLLMENT_FILTERS],
        responses=EnrollmentSerializer(many=True),
    )
    def get(self, request, section_id):
        return self.list_enrollments(section=selectors.section_get(request.user, section_id))

    @extend_schema(
        summary="Enrol a user in a section",
        parameters=[SECTION_ID],
        request=ENROLLMENT_BODY,
        responses=EnrollmentSerializer,
    )
    def post(self, request, section_id):
        section = selectors.section_get(request.user, section_id)
        return self.create_enrollment(section.course, section)


class UserEnrollmentsView(EnrollmentListMixin, CanvasView):
    @extend_schema(
        summary="Enrolments of a user",
        parameters=[USER_ID, *ENROLLMENT_FILTERS],
        responses=EnrollmentSerializer(many=True),
    )
    def get(self, request, user_id):
        return self.list_enrollments(user=user_selectors.user_get(request.user, user_id))


class EnrollmentLookup(CanvasView):
    def _get(self, course_id, enrollment_id):
        course = selectors.course_get(self.request.user, course_id)
        return selectors.enrollment_get(
            self.request.user, course, enrollment_id, type=self.params.text("type")
        )


class EnrollmentDetailView(EnrollmentLookup):
    @extend_schema(
        summary="Get an enrolment",
        parameters=[COURSE_ID, ENROLLMENT_ID],
        responses=EnrollmentSerializer,
    )
    def get(self, request, course_id, enrollment_id):
        return Response(EnrollmentSerializer(self._get(course_id, enrollment_id)).data)

    @extend_schema(
        summary="Conclude, delete or inactivate an enrolment; it keeps its section",
        parameters=[
            COURSE_ID,
            ENROLLMENT_ID,
            OpenApiParameter("task", str, enum=list(TASKS), description="Default: conclude."),
        ],
        responses={200: EnrollmentSerializer},
    )
    def delete(self, request, course_id, enrollment_id):
        self.require("enrollments.change_enrollment")
        task = self.params.text("task") or "conclude"
        if task not in TASKS:
            raise BadRequest(
                f"{task!r} is not a task. Use one of: {', '.join(TASKS)}.", attribute="task"
            )
        enrollment = self._get(course_id, enrollment_id)
        services.enrollment_set_state(
            enrollment, TASKS[task], by=request.user, reason=self.reason(f"task={task}")
        )
        return Response(EnrollmentSerializer(enrollment).data)


class EnrollmentReactivateView(EnrollmentLookup):
    @extend_schema(
        summary="Reactivate an inactive enrolment",
        parameters=[COURSE_ID, ENROLLMENT_ID],
        request=None,
        responses=EnrollmentSerializer,
    )
    def put(self, request, course_id, enrollment_id):
        self.require("enrollments.change_enrollment")
        enrollment = self._get(course_id, enrollment_id)
        if enrollment.state != EnrollmentState.INACTIVE:
            return Response({"error": "enrollment not inactive"}, status=400)
        services.enrollment_set_state(
            enrollment, EnrollmentState.ACTIVE, by=request.user, reason=self.reason()
        )
        return Response(EnrollmentSerializer(enrollment).data)
