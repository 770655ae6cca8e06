"""Building import files and running them through the same services the admin uses."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.test import TestCase

from enrollments.models import Course, Enrollment, Section
from imports import engine
from imports.models import ImportJob, ImportRow
from imports.services import import_job_confirm, import_job_create
from lms_admin.plumbing.errors import DomainError
from users.models import SegmentMembership, User

USERS_CANVAS = ["user_id", "login_id", "first_name", "last_name", "email", "status"]
ENROLLMENTS_CANVAS = ["course_id", "user_id", "role", "section_id", "status"]
COURSES_CANVAS = ["course_id", "short_name", "long_name", "account_id", "status"]
COURSES_CANVAS += ["start_date", "end_date"]
SECTIONS_CANVAS = ["section_id", "course_id", "name", "status"]
MEMBERSHIPS = ["segment", "segment_organisation", "user_sis_id", "username", "status"]


def csv_bytes(header, *rows, encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def zipped(**files) -> bytes:
    """A zip of files, by name: what an SIS import uploads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def json_bytes(records: list[dict]) -> bytes:
    return json.dumps(records).encode()


def xlsx_bytes(header, *rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_file(kind: str, content: bytes, *, by, name: str | None = None, **options):
    """Upload a file as the admin does: the check runs when the upload commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = import_job_create(
            kind=kind, file_name=name or f"{kind}.csv", content=content, by=by, **options
        )
    job.refresh_from_db()
    return job


def confirm(job: ImportJob, *, by) -> ImportJob:
    """Confirm the preview as the admin does: applying runs when the confirmation commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        import_job_confirm(job, by=by)
    job.refresh_from_db()
    return job


def import_and_apply(kind: str, content: bytes, *, by, name: str | None = None, **options):
    job = import_file(kind, content, by=by, name=name, **options)
    assert job.state == "checked", (job.state, job.failure, job.findings)
    assert not job.errors, (job.findings, row_messages(job))
    return confirm(job, by=by)


def check_only(kind: str, content: bytes, *, by, name: str | None = None, **options):
    """Create a job without starting it and check it directly through the engine."""
    job = import_job_create(
        kind=kind,
        file_name=name or f"{kind}.csv",
        content=content,
        by=by,
        start=False,
        **options,
    )
    engine.check(job)
    job.refresh_from_db()
    return job


def rows_of(job: ImportJob) -> dict[int, ImportRow]:
    return {row.line: row for row in ImportRow.objects.filter(job=job).order_by("line")}


def by_key(job: ImportJob) -> dict[str, ImportRow]:
    return {row.key: row for row in ImportRow.objects.filter(job=job)}


def row_messages(job: ImportJob) -> dict[int, list[str]]:
    return {row.line: row.messages for row in rows_of(job).values() if row.messages}


def all_messages(job: ImportJob) -> str:
    """Every file-level and row-level message, as one text to search."""
    parts = [*job.findings.get("errors", []), *job.findings.get("notes", [])]
    for row in ImportRow.objects.filter(job=job):
        parts += row.messages
    if job.failure:
        parts.append(job.failure)
    return "\n".join(parts)


def counts(job: ImportJob) -> dict[str, int]:
    """The outcome counts, without the zeros."""
    return {outcome: n for outcome, n in job.counts.items() if n}


def world() -> dict[str, int]:
    """How many rows every table an import can write holds, history included."""
    models = {
        "users": User,
        "courses": Course,
        "sections": Section,
        "enrollments": Enrollment,
        "memberships": SegmentMembership,
    }
    found = {}
    for name, model in models.items():
        found[name] = model.objects.count()
        found[f"{name} history"] = model.history.count()
    return found


def history_of(obj):
    model = type(obj)
    return list(model.history.filter(id=obj.pk).order_by("history_date", "history_id"))


OWN_USERS = [
    "username",
    "sis_user_id",
    "first_name",
    "last_name",
    "email",
    "organisation",
    "status",
]


def states_of(user):
    return dict(Enrollment.objects.filter(user=user).values_list("id", "state"))


def assert_import_history(row, *, by, reason="Import users.csv", kind="~"):
    assert row.history_user_id == by.pk
    assert row.history_change_reason == reason
    assert row.history_type == kind


def assert_refused(job, before, *, admin):
    """The job cannot be confirmed, and applying it anyway changes nothing."""
    assert job.errors
    assert not job.can_confirm
    with pytest.raises(DomainError):
        import_job_confirm(job, by=admin)
    engine.apply(job)
    job.refresh_from_db()
    assert job.state == "failed"
    assert world() == before


def file_error(job) -> str:
    assert job.findings["errors"], (job.findings, job.failure)
    return " ".join(job.findings["errors"])
