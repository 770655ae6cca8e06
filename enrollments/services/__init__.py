"""The one door for every change to courses, sections, enrolments and certificates.

`from enrollments import services` then `services.enrollment_set_state(...)`. The functions
live in modules by subject; this package exposes them all.
"""

from enrollments.services.courses import (
    COURSE_FIELDS,
    SECTION_FIELDS,
    course_create,
    course_set_enrollment_method,
    course_update,
    section_create,
    section_update,
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
    terms_apply_import,
)
from enrollments.services.marks import (
    courses_clear_deletion_mark,
    courses_mark_for_deletion,
    enrollments_clear_deletion_mark,
    enrollments_mark_for_deletion,
    sections_clear_deletion_mark,
    sections_mark_for_deletion,
)
from enrollments.services.seats import (
    contact_of,
    enrollment_accept,
    enrollment_start,
    organisation_add_credits,
)
from enrollments.services.terms import TERM_FIELDS, term_create, term_update

__all__ = [
    "courses_apply_import",
    "enrollments_apply_import",
    "sections_apply_import",
    "terms_apply_import",
    "enrollments_mark_for_deletion",
    "enrollments_clear_deletion_mark",
    "courses_mark_for_deletion",
    "courses_clear_deletion_mark",
    "sections_mark_for_deletion",
    "sections_clear_deletion_mark",
    "TERM_FIELDS",
    "term_create",
    "term_update",
    "EnrolOutcome",
    "certificate_issue",
    "contact_of",
    "enrollment_accept",
    "enrollment_start",
    "organisation_add_credits",
    "course_create",
    "COURSE_FIELDS",
    "SECTION_FIELDS",
    "course_set_enrollment_method",
    "course_update",
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
    "section_update",
]
