"""Canvas's JSON for courses, sections and enrolments."""

from __future__ import annotations

from rest_framework import serializers

from lms_admin.api.user_serializers import Timestamp


def date_as_timestamp(value) -> str | None:
    # Our course dates are days; Canvas gives instants, so a day starts at midnight UTC.
    return None if value is None else f"{value.isoformat()}T00:00:00Z"


class CourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    course_code = serializers.CharField(source="code")
    sis_course_id = serializers.CharField(allow_null=True)
    integration_id = serializers.SerializerMethodField()
    account_id = serializers.IntegerField(source="organisation_id", allow_null=True)
    enrollment_term_id = serializers.IntegerField(source="term_id", allow_null=True)
    workflow_state = serializers.SerializerMethodField()
    start_at = serializers.SerializerMethodField()
    end_at = serializers.SerializerMethodField()
    created_at = Timestamp()
    enrollment_method = serializers.CharField()

    def get_integration_id(self, course) -> str | None:
        return None

    def get_workflow_state(self, course) -> str:
        return "available"

    def get_start_at(self, course) -> str | None:
        return date_as_timestamp(course.start_date)

    def get_end_at(self, course) -> str | None:
        return date_as_timestamp(course.end_date)


class SectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    course_id = serializers.IntegerField()
    sis_section_id = serializers.CharField(allow_null=True)
    sis_course_id = serializers.CharField(source="course.sis_course_id", allow_null=True)
    integration_id = serializers.SerializerMethodField()
    nonxlist_course_id = serializers.SerializerMethodField()
    start_at = serializers.SerializerMethodField()
    end_at = serializers.SerializerMethodField()
    created_at = Timestamp()
    default_section = serializers.BooleanField(source="is_default")

    def get_integration_id(self, section) -> str | None:
        return None

    def get_nonxlist_course_id(self, section) -> int | None:
        return None

    def get_start_at(self, section) -> str | None:
        return None

    def get_end_at(self, section) -> str | None:
        return None


class EnrollmentUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")
    sortable_name = serializers.SerializerMethodField()
    short_name = serializers.CharField(source="get_short_name")
    sis_user_id = serializers.CharField(allow_null=True)
    login_id = serializers.CharField(source="username")
    status = serializers.CharField()

    def get_sortable_name(self, user) -> str:
        if user.last_name and user.first_name:
            return f"{user.last_name}, {user.first_name}"
        return user.last_name or user.first_name or user.username


class GradesSerializer(serializers.Serializer):
    current_score = serializers.DecimalField(
        source="score", max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    final_score = serializers.DecimalField(
        source="score", max_digits=6, decimal_places=2, coerce_to_string=False, allow_null=True
    )
    current_grade = serializers.SerializerMethodField()
    final_grade = serializers.SerializerMethodField()

    def get_current_grade(self, enrollment) -> str | None:
        return None

    def get_final_grade(self, enrollment) -> str | None:
        return None


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    course_id = serializers.IntegerField()
    sis_course_id = serializers.CharField(source="course.sis_course_id", allow_null=True)
    course_section_id = serializers.IntegerField(source="section_id")
    sis_section_id = serializers.CharField(source="section.sis_section_id", allow_null=True)
    user_id = serializers.IntegerField()
    sis_user_id = serializers.CharField(source="user.sis_user_id", allow_null=True)
    type = serializers.CharField()
    role = serializers.CharField(source="type")
    enrollment_state = serializers.CharField(source="state")
    limit_privileges_to_course_section = serializers.SerializerMethodField()
    created_at = Timestamp()
    updated_at = Timestamp()
    start_at = Timestamp(source="started_at")
    completed_at = Timestamp()
    last_activity_at = Timestamp()
    source = serializers.CharField()
    grades = GradesSerializer(source="*")
    user = EnrollmentUserSerializer()

    def get_limit_privileges_to_course_section(self, enrollment) -> bool:
        return False


class TermSerializer(serializers.Serializer):
    """Canvas's EnrollmentTerm. Terms are never deleted here: always "active"."""

    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    start_at = Timestamp()
    end_at = Timestamp()
    created_at = Timestamp()
    workflow_state = serializers.SerializerMethodField()
    grading_period_group_id = serializers.SerializerMethodField()
    sis_term_id = serializers.CharField(allow_null=True)
    sis_import_id = serializers.SerializerMethodField()

    def get_workflow_state(self, term) -> str:
        return "active"

    def get_grading_period_group_id(self, term) -> int | None:
        return None

    def get_sis_import_id(self, term) -> int | None:
        return None


class TermListSerializer(serializers.Serializer):
    """Canvas wraps its list of terms: `{"enrollment_terms": [...]}`."""

    enrollment_terms = TermSerializer(many=True)
