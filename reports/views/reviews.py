"""The CSV of a review of dormant accounts (/admin/users/review/<id>/download.csv), written
by the one export writer (cells neutralised, recorded in the export log). Downloading is
what allows the review to be applied: the admin keeps the list before anything happens."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from lms_admin.plumbing.scoping import MANAGER, POWER_USER, TRAINING_ADMIN, role_of
from reports.exports import export_response
from reports.models import ExportFormat
from users import services
from users.selectors.reviews import EXPORT_HEADERS, run_export_rows, run_get


def review_download(request, run_id: int):
    role = role_of(request.user)
    if not request.user.is_staff or role not in (TRAINING_ADMIN, POWER_USER, MANAGER):
        raise PermissionDenied("Reviews are for training admins and power users.")
    run = run_get(request.user, run_id)
    if run is None:
        raise Http404("No such review, or it belongs to another organisation.")
    if role != MANAGER:
        services.review_run_record_download(run, by=request.user)
    return export_response(
        person=request.user,
        report="dormant-account-review",
        fmt=ExportFormat.CSV,
        filters={"review": run.pk},
        detail=f"review-{run.pk}",
        headers=EXPORT_HEADERS,
        rows=run_export_rows(run),
    )
