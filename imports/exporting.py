"""Exporting everything in our own format: people, courses, sections, enrolments and
segment memberships, as CSV, XLSX or JSON, streamed in constant memory.

The columns are the resources' (users/resources.py, enrollments/resources.py); the rows
are whatever the person may see, narrowed by the admin list's filters when exported from
there. Importing an exported file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from enrollments.models import Course, Enrollment, Section
from enrollments.resources import CourseResource, EnrollmentResource, SectionResource
from reports.exports import export_response, stream
from users.models import SegmentMembership, User
from users.resources import SegmentMembershipResource, UserResource

EXPORTS = {
    "users": (User, UserResource),
    "courses": (Course, CourseResource),
    "sections": (Section, SectionResource),
    "enrollments": (Enrollment, EnrollmentResource),
    "memberships": (SegmentMembership, SegmentMembershipResource),
}
CHUNK = 2000


def export_queryset(kind: str, person):
    model, _ = EXPORTS[kind]
    return model.objects.for_user(person)


def export_table(kind: str, queryset) -> tuple[list[str], Iterator[list]]:
    _, resource_class = EXPORTS[kind]
    resource = resource_class()
    rows = resource.filter_export(queryset)
    return resource.get_export_headers(), (
        resource.export_resource(item) for item in rows.iterator(chunk_size=CHUNK)
    )


def export_file(kind: str, queryset, fmt: str) -> Iterator[bytes]:
    headers, rows = export_table(kind, queryset)
    return stream(fmt, headers, rows, sheet=kind)


def export_download(kind: str, queryset, fmt: str, *, person, filters: dict):
    """A streamed download, recorded in the export log like every report export."""
    headers, rows = export_table(kind, queryset)
    return export_response(
        person=person,
        report=f"{kind}-data",
        fmt=fmt,
        headers=headers,
        rows=rows,
        filters=filters,
    )
