"""Courses, sections, enrolments and certificates.

A user's status never rewrites enrolment states; access is computed from both
(see `Enrollment.gives_access`). Every change goes through enrollments/services.py.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from lms_admin.plumbing.indexes import index_where_set
from lms_admin.plumbing.scoping import ScopedQuerySet
from users.models import Organisation


class EnrollmentMethod(models.TextChoices):
    MANUAL = "manual", "Manual: admins enrol people"
    EVERYONE = "everyone", "Everyone in the organisation"


class EnrollmentTerm(models.Model):
    """A term (Canvas's EnrollmentTerm): when a set of courses runs. Courses may belong to
    one; an SIS import in batch mode for a term reviews that term's enrolments only.

    Scoped like a course: a power user sees their organisation's terms and the shared ones
    (without an organisation). Its SIS term ID is unique within its organisation, and among
    the shared terms. It holds no personal data."""

    name = models.CharField(max_length=255)
    sis_term_id = models.CharField("SIS term ID", max_length=100, null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="terms"
    )
    start_at = models.DateTimeField("starts", null=True, blank=True)
    end_at = models.DateTimeField("ends", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"
    scope_includes_unowned = True

    class Meta:
        verbose_name = "term"
        ordering = ["-start_at", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "sis_term_id"],
                condition=Q(sis_term_id__isnull=False, organisation__isnull=False),
                name="term_sis_term_id_unique_in_organisation",
                violation_error_message="Another term of this organisation has this SIS term ID.",
            ),
            models.UniqueConstraint(
                fields=["sis_term_id"],
                condition=Q(sis_term_id__isnull=False, organisation__isnull=True),
                name="term_sis_term_id_unique_when_shared",
                violation_error_message="Another shared term has this SIS term ID.",
            ),
            models.CheckConstraint(
                condition=Q(start_at__isnull=True)
                | Q(end_at__isnull=True)
                | Q(end_at__gte=models.F("start_at")),
                name="term_dates_in_order",
                violation_error_message="The term cannot end before it starts.",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sis_term_id})" if self.sis_term_id else self.name


class Course(models.Model):
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=255)
    sis_course_id = models.CharField("SIS course ID", max_length=100, null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    term = models.ForeignKey(
        EnrollmentTerm, null=True, blank=True, on_delete=models.PROTECT, related_name="courses"
    )
    enrollment_method = models.CharField(
        max_length=10,
        choices=EnrollmentMethod.choices,
        default=EnrollmentMethod.MANUAL,
        editable=False,
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    credit_cost = models.PositiveIntegerField(
        default=0,
        help_text="Credits a learner's organisation spends when the learner starts the course. "
        "0: free.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A candidate for deletion (an SIS import's batch mode for a term found it omitted), to
    # review on its page: take the mark off, or keep it. Marking deletes nothing; who marked
    # it, when and why is in its history.
    marked_for_deletion_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"
    # Courses without an organisation form a catalogue that every organisation may use.
    scope_includes_unowned = True

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["sis_course_id"],
                condition=Q(sis_course_id__isnull=False),
                name="course_sis_course_id_unique",
                violation_error_message="Another course already has this SIS course ID.",
            ),
            models.CheckConstraint(
                condition=Q(enrollment_method__in=EnrollmentMethod.values),
                name="course_enrollment_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="course_dates_in_order",
                violation_error_message="The course cannot end before it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["code"]),
            models.Index(fields=["name"]),
            models.Index(fields=["organisation", "enrollment_method"]),
            # The "to be deleted" filter: only the few marked rows are in it.
            models.Index(
                fields=["marked_for_deletion_at"],
                name="course_marked_idx",
                condition=Q(marked_for_deletion_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.name}"


class Section(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    name = models.CharField(max_length=255)
    sis_section_id = models.CharField("SIS section ID", max_length=100, null=True, blank=True)
    is_default = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A candidate for deletion (an SIS import's batch mode for a term found it omitted), to
    # review on its page: take the mark off, or keep it. Marking deletes nothing; who marked
    # it, when and why is in its history.
    marked_for_deletion_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "course__organisation_id"
    scope_includes_unowned = True

    class Meta:
        ordering = ["course", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sis_section_id"],
                condition=Q(sis_section_id__isnull=False),
                name="section_sis_section_id_unique",
                violation_error_message="Another section already has this SIS section ID.",
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(is_default=True),
                name="section_one_default_per_course",
            ),
        ]
        indexes = [
            models.Index(
                fields=["marked_for_deletion_at"],
                name="section_marked_idx",
                condition=Q(marked_for_deletion_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.name


class EnrollmentType(models.TextChoices):
    STUDENT = "StudentEnrollment", "Student"
    TEACHER = "TeacherEnrollment", "Teacher"
    TA = "TaEnrollment", "Teaching assistant"
    OBSERVER = "ObserverEnrollment", "Observer"
    DESIGNER = "DesignerEnrollment", "Designer"


class EnrollmentState(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    COMPLETED = "completed", "Completed"
    DELETED = "deleted", "Deleted"


class EnrollmentSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    IMPORT = "import", "Import"
    EVERYONE = "everyone", "Everyone in the organisation"
    API = "api", "API"


ACCESS_STATES = (EnrollmentState.ACTIVE, EnrollmentState.COMPLETED)


class EnrollmentQuerySet(ScopedQuerySet):
    def with_access(self):
        """Enrolments their learner can use right now: user active, enrolment active or done."""
        return self.filter(state__in=ACCESS_STATES, user__status="active")


class Enrollment(models.Model):
    # No plain index on these three: the indexes in Meta begin with each of them and serve
    # every look-up, and a redundant index slows every bulk change of enrolments. Lists of
    # a course's or a section's enrolments are read in id order, hence (course, id) and
    # (section, id): with a plain (course) index PostgreSQL walks the whole table in id
    # order to find the first hundred rows of a new course.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="enrollments",
        db_index=False,
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    section = models.ForeignKey(
        Section, on_delete=models.PROTECT, related_name="enrollments", db_index=False
    )
    type = models.CharField(
        "role", max_length=20, choices=EnrollmentType.choices, default=EnrollmentType.STUDENT
    )
    state = models.CharField(
        max_length=10,
        choices=EnrollmentState.choices,
        default=EnrollmentState.ACTIVE,
        editable=False,
    )
    # What undelete restores: the state the enrolment had when it was deleted.
    state_before_delete = models.CharField(
        max_length=10, choices=EnrollmentState.choices, blank=True, editable=False
    )
    # True when the enrolment was deleted because its user was; undeleting the user restores
    # exactly these, never one that an admin deleted on its own.
    deleted_with_user = models.BooleanField(default=False, editable=False)
    source = models.CharField(
        max_length=10, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # A candidate for deletion (an SIS import's batch mode for a term found it omitted), to
    # review on the enrolments page: delete it, or take the mark off. Marking deletes nothing.
    marked_for_deletion_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = EnrollmentQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        # The admin's words, as on every other page (the API keeps Canvas's "enrollment").
        verbose_name = "enrolment"
        verbose_name_plural = "enrolments"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "section", "type"],
                name="enrollment_one_per_user_section_type",
                violation_error_message="This person already has this role in this section.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=EnrollmentState.values), name="enrollment_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state_before_delete__in=["", *EnrollmentState.values]),
                name="enrollment_state_before_delete_valid",
            ),
            models.CheckConstraint(
                condition=Q(type__in=EnrollmentType.values), name="enrollment_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=EnrollmentSource.values), name="enrollment_source_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0),
                name="enrollment_score_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["course", "state"], name="enrollment_course_state_idx"),
            models.Index(fields=["course", "id"], name="enrollment_course_id_idx"),
            models.Index(fields=["section", "id"], name="enrollment_section_id_idx"),
            models.Index(fields=["section", "state"], name="enrollment_section_state_idx"),
            # A person's enrolments read from the index alone: what they count in the figures
            # (reports.ledger_write, on every status change: user, state, course) and their rows
            # in the Archived report and its export. The export visits people in order of
            # departure, not as stored, so reading each enrolment from the table instead
            # cost a random page read per row (a 1M-row file: 13 s against 8 s).
            models.Index(
                fields=["user", "state"],
                include=["course", "id", "created_at", "completed_at", "score"],
                name="enrollment_user_covering",
            ),
            models.Index(fields=["state", "completed_at"], name="enrollment_state_done_idx"),
            models.Index(fields=["created_at"], name="enrollment_created_idx"),
            models.Index(fields=["last_activity_at"], name="enrollment_activity_idx"),
            # The "to be deleted" filter: only the few marked rows are in it.
            models.Index(
                fields=["marked_for_deletion_at"],
                name="enrollment_marked_idx",
                condition=Q(marked_for_deletion_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.course} ({self.get_state_display()})"

    @property
    def gives_access(self) -> bool:
        return self.user.is_active and self.state in ACCESS_STATES


def new_verification_code() -> str:
    return secrets.token_hex(8).upper()


class Certificate(models.Model):
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="certificates"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    verification_code = models.CharField(max_length=32, unique=True, default=new_verification_code)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "enrollment__user__organisation_id"

    class Meta:
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["issued_at"])]

    def __str__(self):
        return self.verification_code


class LedgerKind(models.TextChoices):
    SEAT = "seat", "Seat used"
    CREDITS_SPENT = "credits_spent", "Credits spent"
    CREDITS_ADDED = "credits_added", "Credits added"


class SeatCreditEntry(models.Model):
    """One line of an organisation's seat and credit ledger: append-only, never changed or
    removed (deactivating or deleting a person refunds nothing). It is its own history: who
    acted, when and why. It holds ids, not a person's details, so erasure leaves it be.

    A seat is used once per person per organisation, ever (the unique constraint makes a
    second one impossible, even from two tabs at once); credits are spent once per
    enrolment."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    # For a seat or credits spent: whose start it was, and on which enrolment.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    enrollment = models.ForeignKey(
        Enrollment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Credits moved: negative when spent, positive when added; 0 for a seat.
    credits = models.IntegerField(default=0)
    balance_after = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    reason = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        verbose_name = "seat and credit entry"
        verbose_name_plural = "seat and credit ledger"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(kind="seat"),
                name="ledger_one_seat_per_person_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(kind="credits_spent"),
                name="ledger_credits_spent_once_per_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=LedgerKind.values), name="ledger_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="seat", credits=0)
                | Q(kind="credits_spent", credits__lt=0)
                | Q(kind="credits_added", credits__gt=0),
                name="ledger_credits_match_kind",
            ),
        ]
        indexes = [
            # The seats report and seats_used(): an organisation's entries of one kind, newest
            # first; a person's consumptions for the confirmation pages.
            models.Index(fields=["organisation", "kind", "created_at"], name="ledger_org_kind_idx"),
            models.Index(fields=["user", "kind"], name="ledger_user_kind_idx"),
            index_where_set("course", "ledger_course_idx"),
            index_where_set("created_by", "ledger_created_by_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.organisation_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The seat and credit ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The seat and credit ledger is append-only.")
