"""The only records `reports` writes: who signed in when, and who exported what."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from users.scoping import ScopedQuerySet


class SignInEvent(models.Model):
    """One successful sign-in; the analytics "sign-ins over the last 30 days" counts these."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_events"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["at"], name="signin_at_idx"),
            models.Index(fields=["user", "at"], name="signin_user_at_idx"),
        ]

    def __str__(self):
        return f"{self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    JSON = "json", "JSON"


class ExportRecord(models.Model):
    """Who exported which report, with which filters, when, and how many rows went out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="report_exports",
    )
    # Kept as text too: the record must still say who it was if the account is purged.
    username = models.CharField(max_length=150)
    report = models.CharField(max_length=50)
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    file_name = models.CharField(max_length=255)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["started_at"], name="export_started_idx"),
            models.Index(fields=["user", "started_at"], name="export_user_started_idx"),
            models.Index(fields=["report", "started_at"], name="export_report_started_idx"),
        ]

    def __str__(self):
        return self.file_name

    @property
    def completed(self) -> bool:
        return self.finished_at is not None
