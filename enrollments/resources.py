"""Our own file formats for courses, sections and enrolments (django-import-export).

What exports write, imports read back unchanged. Courses, sections and people are named
by their SIS ids and, beside them, by code, name and username, so that files stay readable
and work between installations.
"""

from import_export import fields, resources

from enrollments.models import Course, Enrollment, Section
from users.resources import OrganisationWidget


class CourseResource(resources.ModelResource):
    organisation = fields.Field(
        attribute="organisation", column_name="organisation", widget=OrganisationWidget()
    )

    class Meta:
        model = Course
        fields = (
            "code",
            "name",
            "sis_course_id",
            "organisation",
            "enrollment_method",
            "start_date",
            "end_date",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("organisation").order_by("id")


class SectionResource(resources.ModelResource):
    course_sis_id = fields.Field(attribute="course__sis_course_id", column_name="course_sis_id")
    course_code = fields.Field(attribute="course__code", column_name="course_code")

    class Meta:
        model = Section
        fields = ("course_sis_id", "course_code", "name", "sis_section_id", "is_default")
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("course").order_by("id")


class EnrollmentResource(resources.ModelResource):
    user_sis_id = fields.Field(attribute="user__sis_user_id", column_name="user_sis_id")
    username = fields.Field(attribute="user__username", column_name="username")
    course_sis_id = fields.Field(attribute="course__sis_course_id", column_name="course_sis_id")
    course_code = fields.Field(attribute="course__code", column_name="course_code")
    section_sis_id = fields.Field(attribute="section__sis_section_id", column_name="section_sis_id")
    section_name = fields.Field(attribute="section__name", column_name="section_name")
    role = fields.Field(attribute="type", column_name="role")
    user_status = fields.Field(attribute="user__status", column_name="user_status")

    class Meta:
        model = Enrollment
        fields = (
            "user_sis_id",
            "username",
            "course_sis_id",
            "course_code",
            "section_sis_id",
            "section_name",
            "role",
            "state",
            "started_at",
            "completed_at",
            "last_activity_at",
            "score",
            "source",
            "created_at",
            "user_status",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("user", "course", "section").order_by("id")
