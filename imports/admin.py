"""The Import and export section of the admin: upload, preview, confirm, follow progress,
see the result; the status words of a previous LMS.

Pages are added through `get_urls()` and wrapped in `admin_site.admin_view`, as Django's
admin does its own. A large file is checked and applied by a background worker; its page
shows a progress bar that updates live, and can be left and found again in the list.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from imports import services
from imports.exporting import EXPORTS, export_download
from imports.forms import UploadForm
from imports.kinds import KINDS
from imports.models import (
    ImportJob,
    ImportRow,
    ImportState,
    NewPeopleSignIn,
    RowOutcome,
    StatusWord,
)
from imports.reading import FORMATS
from lms_admin.plumbing.admin import SavedThroughServices, reason_from
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.scoping import MANAGER, role_of
from reports.exports import csv_download

ROWS_PER_PAGE = 100


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("__str__", "state_label", "rows", "created_by_name", "created_at")
    list_filter = ("state", "kind")
    list_select_related = ("created_by",)
    show_full_result_count = False
    search_fields = ("file_name",)
    date_hierarchy = None

    @admin.display(description="State", ordering="state")
    def state_label(self, job):
        return job.state_label

    @admin.display(description="Rows")
    def rows(self, job):
        counts = job.counts or {}
        parts = [
            f"{counts[value]:,} {label.lower()}"
            for value, label in RowOutcome.choices
            if counts.get(value)
        ]
        return ", ".join(parts) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).defer("content")

    def has_add_permission(self, request):
        return any(services.may_import(request.user, kind) for kind in KINDS)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("new/", view(self.upload), name="imports_importjob_upload"),
            path("<int:pk>/", view(self.job_page), name="imports_importjob_job"),
            path(
                "template/<str:kind>/<int:index>.csv",
                view(self.template),
                name="imports_importjob_template",
            ),
            path("<int:pk>/progress/", view(self.progress), name="imports_importjob_progress"),
            path("<int:pk>/confirm/", view(self.confirm), name="imports_importjob_confirm"),
            path("<int:pk>/cancel/", view(self.cancel), name="imports_importjob_cancel"),
            path("<int:pk>/restart/", view(self.restart), name="imports_importjob_restart"),
            path("export/<str:kind>/<str:fmt>/", view(self.export), name="imports_export"),
            path(
                "<int:pk>/passwords.csv",
                view(self.passwords),
                name="imports_importjob_passwords",
            ),
            *super().get_urls(),
        ]

    # The stock add and change pages become the upload page and the job page.
    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:imports_importjob_upload")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("admin:imports_importjob_job", pk=object_id)

    def _job(self, request, pk) -> ImportJob:
        job = self.get_queryset(request).filter(pk=pk).first()
        if job is None:
            raise Http404("No such import, or it belongs to another organisation.")
        return job

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def upload(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied("You may not import files.")
        form = UploadForm(
            request.POST or None,
            request.FILES or None,
            person=request.user,
            initial={"kind": request.GET.get("kind")},
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_job_create(
                    kind=form.cleaned_data["kind"],
                    file_name=upload.name,
                    content=upload.read(),
                    by=request.user,
                    organisation=form.cleaned_data["organisation"],
                    encoding=form.cleaned_data["encoding"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return redirect("admin:imports_importjob_job", pk=job.pk)
        return TemplateResponse(
            request,
            "admin/imports/upload.html",
            self._context(
                request,
                "Import a file",
                form=form,
                kinds=[
                    (kind, list(enumerate(kind.layouts)))
                    for name, kind in KINDS.items()
                    if services.may_import(request.user, name)
                ],
            ),
        )

    def template(self, request, kind, index):
        """An empty file with a layout's column headings, to fill in."""
        if kind not in KINDS or index >= len(KINDS[kind].layouts):
            raise Http404("No such template.")
        layout = KINDS[kind].layouts[index]
        response = HttpResponse(",".join(layout.columns) + "\r\n", content_type="text/csv")
        name = f"{kind}-{'canvas' if layout.signature else 'template'}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def job_page(self, request, pk):
        job = self._job(request, pk)
        outcome = request.GET.get("outcome", "")
        if outcome not in RowOutcome.values:
            outcome = ""
        rows = ImportRow.objects.filter(job=job).order_by("line")
        if outcome:
            rows = rows.filter(outcome=outcome)
        after = request.GET.get("after", "")
        if after.isdigit():
            rows = rows.filter(line__gt=int(after))
        page = list(rows[: ROWS_PER_PAGE + 1])
        more = len(page) > ROWS_PER_PAGE
        page = page[:ROWS_PER_PAGE]
        base = reverse("admin:imports_importjob_job", args=[job.pk])
        tabs = [("", "All rows", job.rows_total if job.state != ImportState.APPLYING else None)]
        tabs += [
            (value, label, (job.counts or {}).get(value, 0)) for value, label in RowOutcome.choices
        ]
        next_url = ""
        if more:
            next_url = f"{base}?outcome={outcome}&after={page[-1].line}"
        return TemplateResponse(
            request,
            "admin/imports/job.html",
            self._context(
                request,
                str(job),
                job=job,
                rows=page,
                outcome=outcome,
                tabs=tabs,
                base=base,
                next_url=next_url,
                first_url=f"{base}?outcome={outcome}" if after else "",
                stalled=services.stalled(job),
                may_confirm=job.can_confirm and services.may_import(request.user, job.kind),
                new_people=(job.findings or {}).get("new_people") or {},
                sign_in_choices=NewPeopleSignIn.choices,
                is_owner=job.created_by_id == request.user.pk,
            ),
        )

    def progress(self, request, pk):
        job = self._job(request, pk)
        return JsonResponse(
            {
                "state": job.state,
                "state_label": job.state_label,
                "running": job.is_running,
                "confirmed": job.confirmed_at is not None,
                "rows_done": job.rows_done,
                "rows_total": job.rows_total,
                "percent": job.percent,
                "stalled": services.stalled(job),
            }
        )

    def _post_only(self, request):
        if request.method != "POST":
            raise Http404("Use the buttons on the import's page.")
        if role_of(request.user) == MANAGER:
            raise PermissionDenied("Managers can see imports, not run them.")

    def confirm(self, request, pk):
        self._post_only(request)
        job = self._job(request, pk)
        if not services.may_import(request.user, job.kind):
            raise PermissionDenied("You may not import this kind of file.")
        previewed = job.checked_at.isoformat() if job.checked_at else ""
        if request.POST.get("previewed") != previewed:
            messages.error(request, "That preview is out of date; here is the current one.")
            return redirect("admin:imports_importjob_job", pk=job.pk)
        try:
            services.import_job_confirm(
                job, by=request.user, new_people_sign_in=request.POST.get("sign_in", "")
            )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("admin:imports_importjob_job", pk=job.pk)

    def cancel(self, request, pk):
        self._post_only(request)
        job = self._job(request, pk)
        if not services.may_import(request.user, job.kind):
            raise PermissionDenied("You may not cancel this import.")
        try:
            services.import_job_cancel(job, by=request.user)
            messages.success(request, "Cancelled. Nothing was imported.")
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("admin:imports_importjob_job", pk=job.pk)

    def restart(self, request, pk):
        self._post_only(request)
        job = self._job(request, pk)
        if not services.may_import(request.user, job.kind):
            raise PermissionDenied("You may not restart this import.")
        try:
            services.import_job_restart(job, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("admin:imports_importjob_job", pk=job.pk)

    def export(self, request, kind, fmt):
        """What an admin list shows, with its filters and search, in our own format."""
        if kind not in EXPORTS or fmt not in FORMATS:
            raise Http404("No such export.")
        model = EXPORTS[kind][0]
        model_admin = self.admin_site._registry.get(model)
        if model_admin is None or not model_admin.has_view_permission(request):
            raise PermissionDenied("You may not see these records.")
        try:
            changelist = model_admin.get_changelist_instance(request)
        except IncorrectLookupParameters:
            opts = model._meta
            return redirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") + "?e=1"
            )
        filters = {key: value for key, value in request.GET.items()}
        return export_download(kind, changelist.queryset, fmt, person=request.user, filters=filters)

    def passwords(self, request, pk):
        job = self._job(request, pk)
        credentials = services.import_job_take_credentials(job, by=request.user)
        if not credentials:
            messages.warning(
                request, "The temporary passwords were downloaded already; they are kept once."
            )
            return redirect("admin:imports_importjob_job", pk=job.pk)
        columns = ["username", "name", "temporary_password", "expires_at"]
        return csv_download(
            f"temporary-passwords_import-{job.pk}.csv",
            columns,
            ([item.get(name, "") for name in columns] for item in credentials),
        )


@admin.register(StatusWord)
class StatusWordAdmin(SavedThroughServices, admin.ModelAdmin):
    list_display = ("word", "applies_to", "means")
    list_filter = ("applies_to", "means")
    search_fields = ("word",)
    fields = ("word", "applies_to", "means")

    create_service = staticmethod(services.status_word_create)
    update_service = staticmethod(services.status_word_update)
    service_fields = services.STATUS_WORD_FIELDS
    reason_for_change = reason_for_creation = "Status word changed in the admin"

    def delete_model(self, request, obj):
        services.status_word_delete(
            obj, by=request.user, reason=reason_from(request, "Status word removed in the admin")
        )

    def delete_queryset(self, request, queryset):
        for status_word in queryset:
            self.delete_model(request, status_word)
