"""SIS imports and Progress objects, in Canvas's shapes.

POST answers at once with the SisImport object; the task worker does the work, and the
client polls GET until `workflow_state` is imported (or failed). The upload is refused
before it is read whole when its Content-Length passes IMPORT_MAX_BYTES.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from imports import sis_services
from imports.models import ImportJob, ImportKind, ImportState, Progress
from imports.reading import max_bytes
from lms_admin.api.base import PAGE_PARAMETERS, BadRequest, CanvasView, errors, path_lookup
from lms_admin.api.user_serializers import Timestamp
from lms_admin.api.users import ACCOUNT_ID
from users import selectors

WORKFLOW = {
    ImportState.QUEUED: "created",
    ImportState.CHECKING: "importing",
    ImportState.CHECKED: "importing",
    ImportState.APPLYING: "importing",
    ImportState.CANCELLED: "aborted",
}
COUNT_NAMES = (
    "accounts",
    "terms",
    "abstract_courses",
    "courses",
    "sections",
    "xlists",
    "users",
    "enrollments",
    "groups",
    "group_memberships",
    "grade_publishing_results",
    "batch_courses_deleted",
    "batch_sections_deleted",
    "batch_enrollments_deleted",
    "error_count",
    "warning_count",
)


def workflow_state(job: ImportJob) -> str:
    messages = job.options.get("warnings") or []
    if job.state == ImportState.DONE:
        return "imported_with_messages" if messages else "imported"
    if job.state == ImportState.FAILED:
        return "failed_with_messages" if job.options.get("errors") else "failed"
    return WORKFLOW.get(job.state, "created")


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="get_full_name")
    login_id = serializers.CharField(source="username")


class SisImportSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = Timestamp()
    ended_at = Timestamp(source="finished_at")
    updated_at = serializers.SerializerMethodField()
    workflow_state = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()
    statistics = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    processing_errors = serializers.SerializerMethodField()
    processing_warnings = serializers.SerializerMethodField()
    batch_mode = serializers.SerializerMethodField()
    batch_mode_term_id = serializers.SerializerMethodField()
    multi_term_batch_mode = serializers.SerializerMethodField()
    override_sis_stickiness = serializers.SerializerMethodField()
    diffing_drop_status = serializers.SerializerMethodField()
    skip_deletes = serializers.SerializerMethodField()
    user = serializers.SerializerMethodField()
    csv_attachments = serializers.SerializerMethodField()
    errors_attachment = serializers.SerializerMethodField()

    def get_updated_at(self, job) -> str | None:
        return Timestamp().to_representation(job.heartbeat_at or job.finished_at or job.created_at)

    def get_workflow_state(self, job) -> str:
        return workflow_state(job)

    def get_data(self, job) -> dict:
        kinds = [job.kind] if job.kind != ImportKind.SIS else []
        counts = {name: 0 for name in COUNT_NAMES}
        if job.kind == ImportKind.SIS:
            counts.update({kind: total for kind, total in job.counts.items() if kind in counts})
        elif job.state == ImportState.DONE and job.kind in counts:
            counts[job.kind] = job.rows_total
        counts["error_count"] = len(job.options.get("errors") or [])
        counts["warning_count"] = len(job.options.get("warnings") or [])
        return {
            "import_type": job.options.get("import_type", "instructure_csv"),
            "supplied_batches": list(job.counts) if job.kind == ImportKind.SIS else kinds,
            "counts": counts,
        }

    def get_statistics(self, job) -> dict:
        return {}

    def get_progress(self, job) -> int:
        if job.state in (ImportState.DONE, ImportState.FAILED, ImportState.CANCELLED):
            return 100
        parts = self.context.get("parts", {}).get(job.pk, [])
        if not parts:
            return job.percent
        done = sum(part.rows_done for part in parts if part.state == ImportState.APPLYING)
        total = sum(part.rows_total for part in parts) or 1
        return min(99, round(100 * done / total))

    def get_processing_errors(self, job) -> list:
        found = job.options.get("errors")
        if found is None and job.kind != ImportKind.SIS and job.failure:
            return [[job.file_name, job.failure]]
        return found or []

    def get_processing_warnings(self, job) -> list:
        return job.options.get("warnings") or []

    def get_batch_mode(self, job) -> bool:
        return bool(job.options.get("batch_mode"))

    def get_batch_mode_term_id(self, job) -> str | None:
        return job.options.get("batch_mode_term_id")

    def get_multi_term_batch_mode(self, job) -> bool:
        return False

    def get_override_sis_stickiness(self, job) -> bool:
        return False

    def get_diffing_drop_status(self, job) -> str | None:
        return None

    def get_skip_deletes(self, job) -> bool:
        return True

    def get_user(self, job) -> dict | None:
        return UserBriefSerializer(job.created_by).data if job.created_by else None

    def get_csv_attachments(self, job) -> list:
        return [{"display_name": job.file_name, "size": job.size}]

    def get_errors_attachment(self, job) -> dict | None:
        return None


class ProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    context_id = serializers.IntegerField(source="job_id", allow_null=True)
    context_type = serializers.SerializerMethodField()
    user_id = serializers.IntegerField(allow_null=True)
    tag = serializers.CharField()
    completion = serializers.IntegerField()
    workflow_state = serializers.CharField()
    created_at = Timestamp()
    updated_at = Timestamp()
    message = serializers.CharField(allow_blank=True)
    results = serializers.JSONField()
    url = serializers.SerializerMethodField()

    def get_context_type(self, progress) -> str:
        return "SisBatch"

    def get_url(self, progress) -> str:
        request = self.context.get("request")
        path = f"/api/v1/progress/{progress.pk}"
        return request.build_absolute_uri(path) if request else path


class RawFileParser(BaseParser):
    """Canvas's raw-body form: the file itself as the body, e.g. Content-Type: text/csv."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"_raw": stream.read(max_bytes() + 1) if stream else b""}


def _parts_of(jobs) -> dict[int, list]:
    running = [job.pk for job in jobs if job.state == ImportState.APPLYING]
    found: dict[int, list] = {}
    if running:
        for part in ImportJob.objects.filter(batch_id__in=running).only(
            "batch_id", "state", "rows_done", "rows_total"
        ):
            found.setdefault(part.batch_id, []).append(part)
    return found


def _answer(job, request, status=200):
    context = {"parts": _parts_of([job]), "request": request}
    return Response(SisImportSerializer(job, context=context).data, status=status)


def _import_of(viewer, account, import_id):
    if not str(import_id).isdigit():
        raise Http404
    job = sis_services.sis_imports_of(viewer, account).filter(pk=int(import_id)).first()
    if job is None:
        raise Http404
    return job


def _progress_of(viewer, progress_id):
    if not str(progress_id).isdigit():
        raise Http404
    progress = Progress.objects.for_user(viewer).filter(pk=int(progress_id)).first()
    if progress is None:
        raise Http404
    return progress


@path_lookup("import_id")
def _import_in_path(viewer, value, found):
    return _import_of(viewer, found["account_id"], value)


@path_lookup("progress_id")
def _progress_in_path(viewer, value, found):
    return _progress_of(viewer, value)


class SisImportsView(CanvasView):
    def get_parsers(self):
        return [*super().get_parsers(), RawFileParser()]

    @extend_schema(
        summary="SIS imports of an account, newest first (the admin's imports too)",
        operation_id="accounts_sis_imports_list",
        parameters=[ACCOUNT_ID, *PAGE_PARAMETERS],
        responses=inline_serializer(
            "SisImportList", {"sis_imports": SisImportSerializer(many=True)}
        ),
    )
    def get(self, request, account_id):
        account = selectors.account_get(request.user, account_id)
        jobs = sis_services.sis_imports_of(request.user, account)
        rows = self.paginator.paginate_queryset(jobs, request, view=self)
        context = {"parts": _parts_of(rows), "request": request}
        data = {"sis_imports": SisImportSerializer(rows, many=True, context=context).data}
        return self.paginator.get_paginated_response(data)

    @extend_schema(
        summary="Start an SIS import of a CSV or a zip of CSVs (answers at once; poll it)",
        parameters=[
            ACCOUNT_ID,
            OpenApiParameter("import_type", str, enum=["instructure_csv"]),
            OpenApiParameter("extension", str, enum=["csv", "zip"]),
            OpenApiParameter(
                "batch_mode",
                bool,
                description="What the batch omits is marked “to be deleted” for review, "
                "never deleted: the account's people, or with a term that term's enrolments.",
            ),
            OpenApiParameter(
                "batch_mode_term_id",
                str,
                description="With batch_mode: the term (its id, or sis_term_id:X) whose "
                "enrolments the batch holds; nothing outside it is marked.",
            ),
        ],
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"attachment": {"type": "string", "format": "binary"}},
                "required": ["attachment"],
            },
            "text/csv": {"type": "string"},
        },
        responses=SisImportSerializer,
    )
    def post(self, request, account_id):
        self.require("imports.import_data")
        account = selectors.account_get(request.user, account_id)
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_bytes() + 64 * 1024:
            return Response(errors(_too_big()), status=413)
        import_type = self.params.text("import_type", default="instructure_csv")
        if import_type != "instructure_csv":
            raise BadRequest(
                f"import_type must be instructure_csv, not {import_type!r}.", "import_type"
            )
        content, file_name = self._attachment(request)
        if len(content) > max_bytes():
            return Response(errors(_too_big()), status=413)
        options = {
            "import_type": import_type,
            "batch_mode": self.params.boolean("batch_mode"),
            "batch_mode_term_id": self.params.text("batch_mode_term_id"),
        }
        job = sis_services.sis_import_create(
            account=account, content=content, file_name=file_name, by=request.user, options=options
        )
        return _answer(job, request)

    def _attachment(self, request) -> tuple[bytes, str]:
        extension = (self.params.text("extension") or "").lower().lstrip(".")
        upload = request.FILES.get("attachment")
        if upload is not None:
            data = upload.read(max_bytes() + 1)
            return data, upload.name or f"attachment.{extension or 'csv'}"
        raw = request.data.get("_raw") if isinstance(request.data, dict) else None
        if raw is None:
            raise BadRequest("attachment is required: a CSV or a zip of CSVs.", "attachment")
        if not extension:
            extension = "zip" if "zip" in (request.content_type or "") else "csv"
        return raw, f"attachment.{extension}"


def _too_big() -> str:
    limit = max_bytes() // (1024 * 1024)
    return f"The attachment is larger than {limit} MB, the most an import may be."


class SisImportDetailView(CanvasView):
    @extend_schema(
        summary="Get an SIS import", parameters=[ACCOUNT_ID], responses=SisImportSerializer
    )
    def get(self, request, account_id, import_id):
        account = selectors.account_get(request.user, account_id)
        return _answer(_import_of(request.user, account, import_id), request)


class SisImportAbortView(CanvasView):
    @extend_schema(
        summary="Abort an SIS import that has not finished",
        parameters=[ACCOUNT_ID],
        request=None,
        responses=SisImportSerializer,
    )
    def put(self, request, account_id, import_id):
        self.require("imports.import_data")
        account = selectors.account_get(request.user, account_id)
        job = sis_services.sis_import_abort(
            _import_of(request.user, account, import_id), by=request.user
        )
        return _answer(job, request)


class AbortAllPendingView(CanvasView):
    @extend_schema(
        summary="Abort every SIS import of the account not yet finished",
        parameters=[ACCOUNT_ID],
        request=None,
        responses=inline_serializer("AbortAllPending", {"aborted": serializers.BooleanField()}),
    )
    def put(self, request, account_id):
        self.require("imports.import_data")
        account = selectors.account_get(request.user, account_id)
        sis_services.sis_imports_abort_pending(account, by=request.user)
        return Response({"aborted": True})


class SisImportRestoreStatesView(CanvasView):
    @extend_schema(
        summary="Undo the status changes an SIS import made (answers a Progress object)",
        parameters=[ACCOUNT_ID],
        request=None,
        responses=ProgressSerializer,
    )
    def put(self, request, account_id, import_id):
        self.require("imports.import_data")
        account = selectors.account_get(request.user, account_id)
        job = _import_of(request.user, account, import_id)
        progress = sis_services.sis_import_restore_states(job, by=request.user)
        return Response(ProgressSerializer(progress, context={"request": request}).data)


class ProgressView(CanvasView):
    @extend_schema(summary="A long job's progress", responses=ProgressSerializer)
    def get(self, request, progress_id):
        progress = _progress_of(request.user, progress_id)
        return Response(ProgressSerializer(progress, context={"request": request}).data)
