"""Import jobs, the outcome of each row, and the words a previous LMS used for a status.

A job keeps its file in the database (app servers and task workers share nothing else), so
a preview and its confirmation may run on different machines. The file is wiped once the
job is finished or cancelled; the row outcomes stay as the record of what happened.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from lms_admin.plumbing.scoping import ScopedQuerySet
from users.models import Organisation


class ImportKind(models.TextChoices):
    USERS = "users", "People"
    COURSES = "courses", "Courses"
    SECTIONS = "sections", "Sections"
    ENROLLMENTS = "enrollments", "Enrolments"
    MEMBERSHIPS = "memberships", "Segment memberships"
    TERMS = "terms", "Terms"
    # A Canvas SIS import: a CSV or a zip of terms, users, courses, sections and enrolments
    # files, each read by its own part job (see imports/sis_batch.py), all applied or none.
    SIS = "sis", "SIS import (Canvas files)"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    CHECKING = "checking", "Checking the file"
    CHECKED = "checked", "Preview ready"
    APPLYING = "applying", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed: nothing was changed"
    CANCELLED = "cancelled", "Cancelled: nothing was changed"


class NewPeopleSignIn(models.TextChoices):
    LINK = "link", "Email each new person a link to choose a password"
    PASSWORD = "password", "Make temporary passwords, to download once"
    LATER = "", "Nothing yet (each person's page can send a link later)"


class ImportJob(models.Model):
    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=4)
    encoding = models.CharField(max_length=12, default="utf-8")
    size = models.PositiveBigIntegerField(default=0)
    content = models.BinaryField(null=True, editable=False)
    # Where people without an organisation column go, and what rows are checked against.
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The importer's organisation when they are a power user: scopes who may see the job.
    scope_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    # Set when someone confirms the preview: a queued job with it is waiting to be applied.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Last sign of life from whoever works on the job; a long silence means it stopped.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Who works on it ("host:process id"), to tell a stopped worker from a busy one.
    worker = models.CharField(max_length=120, blank=True, default="")
    layout = models.CharField(max_length=60, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    # File-level findings: {"errors": [...], "notes": [...]}.
    findings = models.JSONField(default=dict, blank=True)
    applied = models.JSONField(default=dict, blank=True)
    failure = models.TextField(blank=True)
    # How new people get their first way in, chosen when the preview is confirmed.
    new_people_sign_in = models.CharField(
        max_length=8, choices=NewPeopleSignIn.choices, default="", blank=True
    )
    # Temporary passwords handed out by reactivations and to new people, until downloaded
    # once.
    credentials = models.JSONField(default=list, blank=True)
    # An SIS import's part: one file of the zip, read and applied with the others.
    batch = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="parts"
    )
    # How an SIS import was asked for (import_type, extension, batch_mode, term) and what it
    # found: {"warnings": [[file, message]], "errors": [[file, message]]}.
    options = models.JSONField(default=dict, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "scope_organisation_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="importjob_created_idx"),
            models.Index(fields=["state", "created_at"], name="importjob_state_idx"),
            models.Index(fields=["created_by", "created_at"], name="importjob_creator_idx"),
        ]
        permissions = [("import_data", "Can import files of people, courses and enrolments")]
        verbose_name = "import"

    def __str__(self):
        return f"{self.get_kind_display()} from {self.file_name}"

    @property
    def reason(self) -> str:
        return f"Import {self.file_name}"

    @property
    def errors(self) -> int:
        return self.counts.get("error", 0) + len(self.findings.get("errors", []))

    @property
    def state_label(self) -> str:
        """The state as people read it: a preview that found problems is a failed import,
        not one ready to confirm."""
        if self.state == ImportState.CHECKED and self.errors:
            return "Failed: the file has problems; nothing was changed"
        return self.get_state_display()

    @property
    def can_confirm(self) -> bool:
        return self.state == ImportState.CHECKED and not self.errors and self.confirmed_at is None

    @property
    def is_running(self) -> bool:
        return self.state in (ImportState.QUEUED, ImportState.CHECKING, ImportState.APPLYING)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))


class RowOutcome(models.TextChoices):
    NEW = "new", "New"
    UPDATED = "updated", "Updated"
    STATUS = "status", "Status change"
    UNCHANGED = "unchanged", "Unchanged"
    ERROR = "error", "Error"


class ImportRow(models.Model):
    """What the preview found for one row of the file."""

    # No index of its own: the unique (job, line) index serves every look-up by job.
    job = models.ForeignKey(
        ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    line = models.PositiveIntegerField()
    outcome = models.CharField(max_length=9, choices=RowOutcome.choices)
    key = models.CharField(max_length=255)
    # The existing object the row names (None for a new one): what an SIS import's batch mode
    # reads to tell what the batch holds from what it omits.
    target = models.BigIntegerField(null=True, blank=True)
    # [[field, old, new], ...] for changes; [message, ...] for errors and notes.
    changes = models.JSONField(default=list)
    messages = models.JSONField(default=list)

    class Meta:
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="importrow_one_per_line")
        ]
        indexes = [models.Index(fields=["job", "outcome", "line"], name="importrow_outcome_idx")]

    def __str__(self):
        return f"line {self.line}: {self.outcome}"


class ImportPlan(models.Model):
    """What applying one batch of the file's rows does, as the preview planned it (see
    RowPlan.stored). Kept a batch to a row: confirming reads a few large rows, not one per
    line of the file."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField()
    plans = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="importplan_one_per_batch")
        ]

    def __str__(self):
        return f"batch {self.number} of import {self.job_id}"


class BatchMarkKind(models.TextChoices):
    USERS = "users", "People"
    ENROLLMENTS = "enrollments", "Enrolments"
    COURSES = "courses", "Courses"
    SECTIONS = "sections", "Sections"


class BatchModeMark(models.Model):
    """What an SIS import's batch mode marked "to be deleted", a batch of ids to a row: the
    journal restore_states reads to take exactly those marks off again. Ids only (no
    personal data); an id whose row has gone since is passed over."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="batch_marks")
    kind = models.CharField(max_length=12, choices=BatchMarkKind.choices)
    # When the marks were set: restore_states takes off only a mark still of that moment,
    # never one set again later by someone else.
    marked_at = models.DateTimeField()
    ids = models.JSONField(default=list)

    class Meta:
        ordering = ["job", "id"]

    def __str__(self):
        return f"{len(self.ids)} {self.kind} marked by import {self.job_id}"


class StatusApplies(models.TextChoices):
    USERS = "users", "People"
    ENROLLMENTS = "enrollments", "Enrolments"


STATUS_MEANINGS = [
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("deleted", "Deleted"),
    ("invited", "Invited (enrolments only)"),
    ("completed", "Completed (enrolments only)"),
]


def normalise_word(word: str) -> str:
    """'Long Term Leave', 'long-term leave' and 'LONGTERMLEAVE' are one word."""
    return re.sub(r"[\s_\-]+", "", str(word)).casefold()


# Words every file may use; configured words cannot change what these mean.
BUILT_IN_WORDS = {
    "users": {
        "active": "active",
        "inactive": "inactive",
        "deleted": "deleted",
        "suspended": "inactive",
    },
    "enrollments": {
        "active": "active",
        "invited": "invited",
        "inactive": "inactive",
        "completed": "completed",
        "concluded": "completed",
        "deleted": "deleted",
    },
}
ALLOWED_MEANINGS = {
    "users": {"active", "inactive", "deleted"},
    "enrollments": {"active", "invited", "inactive", "completed", "deleted"},
}


class StatusWord(models.Model):
    """A previous LMS's word for a status, e.g. "Long Term Leave" means inactive.

    Case and spacing are ignored when files are read: "LONG-TERM leave" matches too.
    """

    word = models.CharField(max_length=100)
    # The word without case, spaces, hyphens or underscores: what files are matched on.
    normalised = models.CharField(max_length=100, editable=False)
    applies_to = models.CharField(
        max_length=12, choices=StatusApplies.choices, default=StatusApplies.USERS
    )
    means = models.CharField(max_length=10, choices=STATUS_MEANINGS)

    history = HistoricalRecords()

    class Meta:
        ordering = ["applies_to", "word"]
        constraints = [
            models.UniqueConstraint(
                fields=["applies_to", "normalised"],
                name="statusword_unique",
                violation_error_message="That word already has a meaning.",
            )
        ]
        verbose_name = "status word from a previous LMS"
        verbose_name_plural = "status words from a previous LMS"

    def __str__(self):
        return f"{self.word} → {self.get_means_display()}"

    def save(self, *args, **kwargs):
        self.normalised = normalise_word(self.word)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        self.normalised = normalise_word(self.word)
        if not self.normalised:
            raise ValidationError({"word": "Type the word as it appears in the files."})
        if self.normalised in BUILT_IN_WORDS.get(self.applies_to, {}):
            raise ValidationError(
                {"word": f"“{self.word}” is a built-in word; its meaning cannot be changed."}
            )
        if self.means not in ALLOWED_MEANINGS.get(self.applies_to, set()):
            raise ValidationError(
                {"means": f"{self.get_applies_to_display()} cannot be “{self.means}”."}
            )


class ProgressState(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Done"
    FAILED = "failed", "Failed"


class Progress(models.Model):
    """A long job's progress, as Canvas's Progress object (GET /api/v1/progress/:id)."""

    tag = models.CharField(max_length=40)
    job = models.ForeignKey(ImportJob, null=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion = models.PositiveSmallIntegerField(default=0)
    workflow_state = models.CharField(
        max_length=9, choices=ProgressState.choices, default=ProgressState.QUEUED
    )
    message = models.TextField(blank=True)
    results = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_path = "scope_organisation_id"

    def __str__(self):
        return f"{self.tag} {self.workflow_state} ({self.completion}%)"
