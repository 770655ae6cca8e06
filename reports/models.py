"""The records `reports` writes: who signed in when, who exported what, and the figures
ledger behind the analytics (FigureDelta, kept by the services through reports.ledger_write)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from lms_admin.plumbing.scoping import ScopedQuerySet


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

    # Scoped by the person who exported: a power user asking for another organisation's
    # record is answered as for one that does not exist.
    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

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


class FigureKind(models.TextChoices):
    USERS = "users", "Active users (organisation, day joined)"
    MEMBERS = "members", "Segment members who are active (segment, organisation)"
    ENROLMENTS = "enrolments", "Enrolments of active users (organisation, course, state)"
    SIGN_INS = "sign_ins", "Sign-ins of active users (organisation, day signed in)"


# Stands for "no value" in the ledger's key: NULLs are never equal, so a unique key over
# nullable columns would not merge rows. No organisation, segment or course has id 0.
NO_ID = 0
NO_DATE = date(1970, 1, 1)


class FigureDelta(models.Model):
    """How much one analytics figure changed on one day: the rollup behind the analytics.

    The services write a row (or add to it) in the same transaction as every change that
    moves a figure, so the live figures are the sum of all rows and the figures as of the
    end of day D the sum of rows with `day` ≤ D: no scan of the history. Ids are plain
    integers, not foreign keys, because a figure of the past outlives what it counted.
    """

    day = models.DateField()
    kind = models.CharField(max_length=10, choices=FigureKind.choices)
    organisation_id = models.IntegerField(default=NO_ID)
    segment_id = models.IntegerField(default=NO_ID)
    course_id = models.IntegerField(default=NO_ID)
    state = models.CharField(max_length=10, default="", blank=True)
    # The day the user joined (USERS) or signed in (SIGN_INS); NO_DATE otherwise.
    on_day = models.DateField(default=NO_DATE)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "day",
                    "kind",
                    "organisation_id",
                    "segment_id",
                    "course_id",
                    "state",
                    "on_day",
                ],
                name="figure_delta_key",
            )
        ]
        indexes = [models.Index(fields=["kind", "day"], name="figure_delta_kind_day_idx")]

    def __str__(self):
        return f"{self.day} {self.kind} {self.n:+}"
