"""Organisations, users and segments.

A user's lifecycle is `status` (active, inactive, deleted); anonymisation is a fact
(`anonymised_at`), not a state. Every change of status goes through users/services.py.
"""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from lms_admin.plumbing.indexes import index_where_set
from lms_admin.plumbing.scoping import ScopedQuerySet


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    sis_account_id = models.CharField(
        "SIS account ID", max_length=100, null=True, blank=True, unique=True
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="Leave empty for a top-level organisation.",
    )
    seat_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many learners may start courses. Empty: no limit."
    )
    # Changed only through enrollments.services (top-ups and course starts), each change with
    # a row in the seat and credit ledger; never below zero.
    credit_balance = models.PositiveIntegerField(default=0, editable=False)
    contact = models.CharField(
        max_length=200,
        blank=True,
        help_text="Whom learners should contact about their account or seats, e.g. "
        "“Jo Smith, training@acme.example”. Shown to learners.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Seed 004: continuing-education accounts are never merged with SIS ones.
    forbid_merging_sis_with_self_registered = models.BooleanField(
        "forbid merging SIS and self-registered accounts",
        default=False,
        help_text="When ticked, an account with an SIS user ID is never merged with one "
        "without (a self-registered account), in either direction.",
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "id"

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_balance__gte=0), name="organisation_credits_not_negative"
            )
        ]

    def __str__(self):
        return self.name


class UserStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DELETED = "deleted", "Deleted"


class UserQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(status=UserStatus.ACTIVE)

    def inactive(self):
        return self.filter(status=UserStatus.INACTIVE)

    def deleted(self):
        return self.filter(status=UserStatus.DELETED)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, username, email="", password=None, **extra):
        user = self.model(username=username, email=self.normalize_email(email or ""), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, email="", password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, email, password, **extra)


# The people the duplicate finder groups: those who can still be merged.
FINDABLE = ~Q(status=UserStatus.DELETED) & Q(anonymised_at__isnull=True)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: learner, training admin, manager or power user."""

    username = models.CharField(
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text="The sign-in name. Letters, digits and @/./+/-/_ only.",
        # The same words whoever holds it: a power user learns nothing of other organisations.
        error_messages={"unique": "This username is not available."},
    )
    email = models.EmailField(blank=True, help_text="Optional: some people sign in by username.")
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    sis_user_id = models.CharField("SIS user ID", max_length=100, null=True, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        # user_org_status_idx (organisation, status) serves every look-up by organisation;
        # a second index would only slow down every bulk change of users.
        db_index=False,
    )
    status = models.CharField(
        max_length=10, choices=UserStatus.choices, default=UserStatus.ACTIVE, editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Where undelete returns to: the status the user had when they were deleted.
    status_before_delete = models.CharField(
        max_length=10, choices=UserStatus.choices, blank=True, editable=False
    )
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A deletion candidate (seed 003: "To be deleted" in a spreadsheet), for review on the
    # Users page. Marking deletes nothing; an admin deletes after checking.
    marked_for_deletion_at = models.DateTimeField(null=True, blank=True, editable=False)
    marked_for_deletion_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        # Indexed only where set (user_marked_by_idx): deleting a person makes the database
        # look for the people they marked, and no import pays for the people nobody marked.
        db_index=False,
    )
    # The password hash an inactive person had, kept only so that the sign-in page can tell
    # someone who types the right password that the account is inactive (never for a wrong
    # one). It signs no one in; reactivation, deletion and erasure empty it.
    password_while_inactive = models.CharField(max_length=128, blank=True, editable=False)
    must_change_password = models.BooleanField(default=False, editable=False)
    temporary_password_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_staff = models.BooleanField(
        "staff access", default=False, help_text="Can sign in to this admin."
    )
    date_joined = models.DateTimeField(default=timezone.now)

    # Nothing looks history up by username or by who marked a person for deletion, and each
    # index there is paid for by every history row a bulk change writes.
    history = HistoricalRecords(
        excluded_fields=["password", "password_while_inactive", "last_login"],
        no_db_index=["username", "marked_for_deletion_by"],
    )
    objects = UserManager()
    scope_path = "organisation_id"

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                fields=["sis_user_id"],
                condition=Q(sis_user_id__isnull=False),
                name="user_sis_user_id_unique",
                violation_error_message="This SIS user ID is not available.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=UserStatus.values), name="user_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status_before_delete__in=["", *UserStatus.values]),
                name="user_status_before_delete_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "username"], name="user_status_username_idx"),
            # The Active tab, the page most people open, in its order. Without it PostgreSQL
            # may walk the plain username index and skip the people in other states, and
            # when many of them sort first (100,000 deleted after an import), the page read
            # them all: 28 ms of SQL instead of 1. Deactivating writes nothing into it.
            models.Index(
                fields=["username"],
                condition=Q(status=UserStatus.ACTIVE),
                name="user_active_username_idx",
            ),
            models.Index(fields=["last_name", "first_name"], name="user_name_idx"),
            models.Index(fields=["organisation", "status"], name="user_org_status_idx"),
            # An account's users by name (the API's default order): without it PostgreSQL
            # walks user_name_idx through every organisation to find one's first page. The
            # id is left out: people share names, so the index deduplicates to a fifth of
            # the size, which every change of a user pays for (ties are sorted in memory).
            models.Index(
                fields=["organisation", "last_name", "first_name"], name="user_org_names_idx"
            ),
            # Exact email search (users/search.py), and the duplicate finder's "same email"
            # groups (users/selectors/duplicates.py), read in the order of their key and
            # stopped at the page's end. Covering, so the finder reads no table row to form
            # a page, even for a power user (organisation): the column under the expression
            # is included too, or PostgreSQL would not read the index alone.
            models.Index(
                Lower("email"),
                name="user_email_lower_idx",
                include=["email", "organisation", "id", "status", "anonymised_at"],
                condition=~Q(email=""),
            ),
            # The finder's "same name and a shared course" groups: only the people a group
            # may hold (neither deleted nor anonymised), covering too. The SIS id pattern's
            # index is migration 0022's (the pattern is a setting).
            models.Index(
                fields=["last_name", "first_name", "id"],
                name="user_dup_name_idx",
                include=["organisation"],
                condition=~Q(last_name="") & FINDABLE,
            ),
            models.Index(fields=["last_login"], name="user_last_login_idx"),
            models.Index(fields=["date_joined"], name="user_date_joined_idx"),
            models.Index(fields=["status_changed_at"], name="user_status_changed_idx"),
            models.Index(
                fields=["marked_for_deletion_at"],
                name="user_marked_for_deletion_idx",
                condition=Q(marked_for_deletion_at__isnull=False),
            ),
            index_where_set("marked_for_deletion_by", "user_marked_by_idx"),
            # The few accounts with admin rights that staff or superuser flags give (the
            # reviews leave them out): found without reading everyone.
            models.Index(
                fields=["id"],
                name="user_admin_accounts_idx",
                condition=Q(is_staff=True) | Q(is_superuser=True),
            ),
        ]

    def __str__(self):
        return self.username

    @property
    def is_active(self) -> bool:
        """Only an active user can sign in; Django's auth reads this."""
        return self.status == UserStatus.ACTIVE

    @property
    def is_marked_for_deletion(self) -> bool:
        return self.marked_for_deletion_at is not None

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username

    def get_short_name(self) -> str:
        return self.first_name or self.username

    def clean(self):
        super().clean()
        self.email = type(self).objects.normalize_email(self.email or "")
        if self.sis_user_id == "":
            self.sis_user_id = None


class UserSearch(models.Model):
    """The searched text of each user (username, names, email and SIS ID joined), kept on
    PostgreSQL by triggers (migration 0008) and searched through a trigram index there.

    It lives beside users_user rather than in an index on it so that a change of status,
    which rewrites the user row and so adds an entry to every index of users_user, does not
    also add some thirty trigram entries per user: that was two thirds of the time of a bulk
    deactivation. The text only changes when one of those five columns does. SQLite keeps
    no rows here (it searches the columns themselves)."""

    user = models.OneToOneField(
        "User",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the triggers keep it; a constraint would only slow them
        related_name="+",
    )
    text = models.TextField()

    class Meta:
        # Written by the triggers alone.
        default_permissions = ()

    def __str__(self):
        return self.text


class StatusCount(models.Model):
    """How many people each organisation has in each status, kept by triggers on
    users_user (PostgreSQL, migration 0028), so that the users page's tabs are counted
    without reading people: counting 10,001 people per tab was a third of the page.

    Every statement that adds, changes or removes people adds one row per organisation and
    status it moved (+n or -n) rather than updating a running total, so two changes never
    wait for each other here; the rows are summed when read and folded together once there
    are many (users.selectors.status_counts). SQLite keeps no rows here: the page counts
    its people there."""

    organisation_id = models.IntegerField()  # NO_ORGANISATION for people without one
    status = models.CharField(max_length=10)
    n = models.BigIntegerField()

    NO_ORGANISATION = 0

    class Meta:
        # Written by the triggers and folded by the selector alone.
        default_permissions = ()
        indexes = [models.Index(fields=["organisation_id"], name="statuscount_org_idx")]

    def __str__(self):
        return f"{self.organisation_id} {self.status} {self.n:+}"


class Segment(models.Model):
    """A named group of users; inactive and deleted members stay members."""

    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="segments"
    )
    description = models.TextField(blank=True)
    members = models.ManyToManyField(
        User, through="SegmentMembership", related_name="segments", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="segment_name_unique_per_organisation",
                violation_error_message="This organisation already has a segment of that name.",
            )
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self):
        return self.name


class SegmentMembership(models.Model):
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="segment_memberships")
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "user"],
                name="segment_membership_unique",
                violation_error_message="This user is already in the segment.",
            )
        ]
        indexes = [models.Index(fields=["user", "segment"])]

    def __str__(self):
        return f"{self.user} in {self.segment}"


class UserSession(AbstractBaseSession):
    """Sessions with an indexed user column, so that deactivation ends them all at once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, db_index=True
    )

    @classmethod
    def get_session_store_class(cls):
        from users.sessions import SessionStore

        return SessionStore


class AccessTokenQuerySet(ScopedQuerySet):
    def usable(self, now=None):
        """Tokens that authenticate right now.

        A token issued before its user's latest status change is void for good: deactivation
        or deletion ends it, and reactivation does not revive it, as it does not revive the
        old password.
        """
        now = now or timezone.now()
        return self.filter(
            Q(user__status_changed_at__isnull=True)
            | Q(created_at__gte=models.F("user__status_changed_at")),
            revoked_at__isnull=True,
            expires_at__gt=now,
            user__status=UserStatus.ACTIVE,
        )


class AccessToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    purpose = models.CharField(max_length=200, help_text="What the token is for, e.g. a script.")
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    # The last characters of the secret, so people can tell their tokens apart.
    hint = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    history = HistoricalRecords(excluded_fields=["key_digest", "last_used_at"])
    objects = AccessTokenQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="accesstoken_user_idx")]

    def __str__(self):
        return f"{self.purpose or 'Token'} …{self.hint}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


# Reviews of dormant accounts (issue 16) -------------------------------------------------


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


class ReviewPolicy(models.Model):
    """How an organisation reviews its dormant accounts: thresholds, how often, who reviews,
    how long they have, and whether an unanswered review deactivates (never deletes)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="review_policy"
    )
    enabled = models.BooleanField(default=True, help_text="Start reviews on the schedule.")
    never_signed_in_days = models.PositiveIntegerField(
        default=365, help_text="Never signed in and created more than this many days ago."
    )
    no_sign_in_days = models.PositiveIntegerField(
        default=540, help_text="Active, but no sign-in for more than this many days."
    )
    include_marked = models.BooleanField(
        default=True, help_text="Also review people marked “to be deleted”."
    )
    cadence = models.CharField(
        max_length=10, choices=ReviewCadence.choices, default=ReviewCadence.QUARTERLY
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty: the organisation's power users review.",
    )
    deadline_days = models.PositiveIntegerField(
        default=14, help_text="Days the reviewer has to answer."
    )
    reminder_days = models.PositiveIntegerField(
        default=3, help_text="Send a reminder this many days before the deadline."
    )
    deactivate_when_unanswered = models.BooleanField(
        default=False,
        help_text="When the deadline passes unanswered, deactivate the people not yet kept "
        "(never delete). Otherwise the training admins are told.",
    )
    next_run_on = models.DateField(
        null=True, blank=True, help_text="Empty: at the next scheduled check."
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        verbose_name_plural = "review policies"
        indexes = [models.Index(fields=["enabled", "next_run_on"], name="reviewpolicy_due_idx")]

    def __str__(self):
        return f"Review policy of {self.organisation}"


class ReviewKind(models.TextChoices):
    MANUAL = "manual", "Review by an admin"
    NEVER_USED = "never_used", "Deletion of never-used accounts"
    SCHEDULED = "scheduled", "Scheduled review"


class ReviewOutcome(models.TextChoices):
    OPEN = "", "Open"
    APPLIED = "applied", "Applied"
    ATTESTED = "attested", "Reviewed and attested"
    DEFAULTED = "defaulted", "Unanswered: undecided people deactivated"
    ESCALATED = "escalated", "Unanswered: training admins told"


class ReviewRun(models.Model):
    """One review: its candidates (a snapshot taken when it started) and what became of it.
    Holds no names or emails: only references to people."""

    kind = models.CharField(max_length=12, choices=ReviewKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review_runs",
        help_text="Empty: every organisation (a training admin's review).",
    )
    criteria = models.JSONField(default=dict, blank=True)
    candidate_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deadline = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(
        max_length=10, choices=ReviewOutcome.choices, default=ReviewOutcome.OPEN, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["deadline"],
                name="reviewrun_open_deadline_idx",
                condition=Q(completed_at__isnull=True),
            ),
            models.Index(fields=["organisation", "-started_at"], name="reviewrun_org_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {timezone.localtime(self.started_at):%d %b %Y}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class ReviewReason(models.TextChoices):
    MARKED = "marked", "Marked “to be deleted”"
    NEVER_SIGNED_IN = "never_signed_in", "Never signed in"
    NO_SIGN_IN = "no_sign_in", "No sign-in for a long time"


class ReviewAction(models.TextChoices):
    KEEP = "keep", "Keep"
    DEACTIVATE = "deactivate", "Deactivate"
    DELETE = "delete", "Delete"


class ReviewCandidate(models.Model):
    """A person in a review: why they are in it, what the policy proposes, and who decided
    what, when."""

    run = models.ForeignKey(ReviewRun, on_delete=models.CASCADE, related_name="candidates")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_candidacies"
    )
    reason = models.CharField(max_length=16, choices=ReviewReason.choices)
    # No activity: delete; any activity: deactivate (never delete from a review).
    proposal = models.CharField(max_length=10, choices=ReviewAction.choices)
    decision = models.CharField(max_length=10, choices=ReviewAction.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "user"], name="reviewcandidate_unique")
        ]
        indexes = [
            models.Index(fields=["user"], name="reviewcandidate_user_idx"),
            index_where_set("decided_by", "reviewcandidate_decided_by_idx"),
        ]

    def __str__(self):
        return f"{self.user} in {self.run}"


class AuthenticationEventType(models.TextChoices):
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"


class AuthenticationEvent(models.Model):
    """One sign-in or sign-out, with the address it came from (Canvas's authentication
    audit). Holds personal data (the address): erasure deletes a person's rows, and rows
    older than AUTHENTICATION_EVENT_RETENTION_DAYS are purged by a task."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="authentication_events",
        db_index=False,
    )
    # The person's organisation when it happened: the account listing filters on it.
    organisation_id = models.IntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=6, choices=AuthenticationEventType.choices)
    at = models.DateTimeField(default=timezone.now)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["user", "-at"], name="authevent_user_at_idx"),
            models.Index(fields=["organisation_id", "-at"], name="authevent_org_at_idx"),
            models.Index(fields=["at"], name="authevent_at_idx"),
        ]

    def __str__(self):
        return f"{self.get_event_type_display()} {self.user_id} at {self.at:%Y-%m-%d %H:%M}"


class Merge(models.Model):
    """Accounts merged into the primary one the admin chose, and everything that moved,
    journaled (MergeJournalEntry) so that `merge_undo` puts every row back exactly."""

    primary = models.ForeignKey(User, on_delete=models.PROTECT, related_name="merges_received")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reason = models.TextField()
    kept_sign_in_names = models.BooleanField(default=False)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    undo_reason = models.TextField(blank=True)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "primary__organisation_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"], name="merge_created_idx"),
            index_where_set("created_by", "merge_created_by_idx"),
            index_where_set("undone_by", "merge_undone_by_idx"),
        ]

    def __str__(self):
        return f"Merge {self.pk} into {self.primary}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class MergeAccount(models.Model):
    """One merged-away account of a merge, with its sign-in fields as they were before."""

    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="accounts")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="merged_away")
    status_before = models.CharField(max_length=10, choices=UserStatus.choices)
    status_before_delete_before = models.CharField(max_length=10, blank=True)
    status_changed_at_before = models.DateTimeField(null=True, blank=True)
    password_before = models.CharField(max_length=128, blank=True)
    marked_for_deletion_at_before = models.DateTimeField(null=True, blank=True)
    marked_for_deletion_by_before = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merge", "user"], name="merge_account_unique")
        ]
        indexes = [index_where_set("marked_for_deletion_by_before", "merge_account_marked_by_idx")]

    def __str__(self):
        return f"{self.user} in merge {self.merge_id}"


class MergeJournalKind(models.TextChoices):
    ENROLMENT_MOVED = "enrollment_moved", "Enrolment moved"
    ENROLMENT_SET_ASIDE = "enrollment_set_aside", "Enrolment set aside (lost a conflict)"
    CERTIFICATE_MOVED = "certificate_moved", "Certificate moved to the winning enrolment"
    MEMBERSHIP_MOVED = "membership_moved", "Segment membership moved"
    MEMBERSHIP_SET_ASIDE = "membership_set_aside", "Segment membership set aside (duplicate)"
    TOKEN_MOVED = "token_moved", "API token moved"


class MergeJournalEntry(models.Model):
    """One row a merge moved or set aside: which, from whom, and its state before.

    Moved rows change only their owner, so `before` is empty for them; a row set aside
    (a conflict's loser) is removed from its table and `before` keeps all of it, so that
    undo can put it back with the same id. Personal data: see users.services.merging
    `PERSONAL_DATA_IN_MERGE_JOURNAL`, for erasure."""

    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="journal")
    kind = models.CharField(max_length=24, choices=MergeJournalKind.choices)
    row_id = models.BigIntegerField()
    from_user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # For a certificate: the enrolment it belonged to; for a set-aside row: the winner's id.
    related_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merge", "kind"], name="mergejournal_merge_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.row_id}"


class SignInName(models.Model):
    """An extra name its user may sign in with: a merged-away account's username, kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_names")
    name = models.CharField(max_length=150, unique=True)
    merge = models.ForeignKey(
        Merge, null=True, blank=True, on_delete=models.CASCADE, related_name="sign_in_names"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "user__organisation_id"

    def __str__(self):
        return self.name


class ErasureKind(models.TextChoices):
    PERSON = "person", "One person erased on request"
    RETENTION = "retention", "People anonymised by the retention policy"
    PURGE = "purge", "An organisation's people purged"


class ErasureReceipt(models.Model):
    """What an erasure did, table by table, and what it kept and why. It holds no personal
    data: the person appears only as their pseudonym, a purge only as counts."""

    kind = models.CharField(max_length=10, choices=ErasureKind.choices)
    # The erased person (kept, anonymised) for a one-person erasure; empty otherwise.
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure_receipts"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pseudonym = models.CharField(max_length=150, blank=True)
    people = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The reason as typed, with any of the person's identifiers replaced by the pseudonym.
    reason = models.TextField(blank=True)
    # [{"table", "fields", "rows", "action"}, ...] and [{"what", "rows", "why"}, ...]
    touched = models.JSONField(default=list, blank=True)
    kept = models.JSONField(default=list, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="erasure_receipt_created_idx")]

    def __str__(self):
        return f"Erasure receipt {self.pk} ({self.get_kind_display()})"

    @property
    def rows_touched(self) -> int:
        return sum(item.get("rows", 0) for item in self.touched)


class RetentionPolicy(models.Model):
    """How long an organisation keeps a leaver's record. Organisations without a policy of
    their own follow the defaults (six years inactive, thirty days deleted)."""

    DEFAULT_INACTIVE_YEARS = 6
    DEFAULT_DELETED_DAYS = 30

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="retention_policy"
    )
    enabled = models.BooleanField(
        default=True, help_text="When off, the scheduled run leaves this organisation alone."
    )
    inactive_years = models.PositiveSmallIntegerField(
        default=DEFAULT_INACTIVE_YEARS,
        help_text="Anonymise people who have been inactive for more than this many years.",
    )
    deleted_days = models.PositiveSmallIntegerField(
        default=DEFAULT_DELETED_DAYS,
        help_text="Anonymise deleted people this many days after their deletion.",
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()
    scope_path = "organisation_id"

    class Meta:
        verbose_name = "retention policy"
        verbose_name_plural = "retention policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(inactive_years__gte=1), name="retention_inactive_years_positive"
            ),
            models.CheckConstraint(
                condition=Q(deleted_days__gte=1), name="retention_deleted_days_positive"
            ),
        ]

    def __str__(self):
        return f"Retention policy of {self.organisation}"
