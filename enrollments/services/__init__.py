"""The one door for every change to courses, sections, enrolments and certificates.

`from enrollments import services` then `services.enrollment_set_state(...)`. The functions
live in modules by subject; this package exposes them all.
"""

from enrollments.services.courses import (
    course_create,
    course_set_enrollment_method,
    section_create,
)
from enrollments.services.enrollments import (
    EnrolOutcome,
    certificate_issue,
    enrollment_create,
    enrollment_record_progress,
    enrollment_set_state,
    enrollments_create,
    enrollments_create_for_new_user,
    enrollments_create_for_new_users,
    enrollments_delete_for_users,
    enrollments_set_state,
    enrollments_undelete_for_users,
)
from enrollments.services.import_plan import (
    courses_apply_import,
    enrollments_apply_import,
    sections_apply_import,
)

__all__ = [
    "courses_apply_import",
    "enrollments_apply_import",
    "sections_apply_import",
    "EnrolOutcome",
    "certificate_issue",
    "course_create",
    "course_set_enrollment_method",
    "enrollment_create",
    "enrollment_record_progress",
    "enrollment_set_state",
    "enrollments_create",
    "enrollments_create_for_new_user",
    "enrollments_create_for_new_users",
    "enrollments_delete_for_users",
    "enrollments_set_state",
    "enrollments_undelete_for_users",
    "section_create",
]
