"""Many people at once: deletion marks, and applying an import that has been previewed.

An import arrives as a plan: people to create, field changes per person, and status
changes. `users_apply_import` writes it set-based in one transaction, one history row per
created or changed person with the importing admin as actor. Status changes go through the
lifecycle services (sessions end, enrolments untouched, reactivated people get a new way to
sign in); their history row also carries the person's field changes, so each person still
gets exactly one row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from enrollments import services as enrollment_services
from lms_admin.plumbing import figures
from lms_admin.plumbing.bulk import insert_rows, update_rows
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import batched, insert_history_rows
from users.models import Segment, User, UserStatus
from users.services.common import (
    BulkOutcome,
    Credentials,
    _issue_credentials,
    _refuse_unless_may_manage_all,
)
from users.services.lifecycle import users_deactivate, users_reactivate, users_undelete
from users.services.segments import segment_add_members, segment_remove_members

# Fields an import may write on a person; the status has its own path.
IMPORTABLE_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "sis_user_id",
    "organisation_id",
    "marked_for_deletion_at",
    "marked_for_deletion_by_id",
)
# Rows per set-based statement.
BATCH = 2000
# How new people get their first way in: a link by email to choose a password (a temporary
# password for those without email), a temporary password for everyone, or nothing yet.
SIGN_IN_LINK = "link"
SIGN_IN_PASSWORD = "password"
SIGN_IN_CHOICES = ("", SIGN_IN_LINK, SIGN_IN_PASSWORD)


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    reactivated: int = 0
    undeleted: int = 0
    enrolled_in_everyone_courses: int = 0
    credentials: list[Credentials] = field(default_factory=list)


@transaction.atomic
def users_mark_for_deletion(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    """Mark people as candidates for deletion, to review on the Users page. Deletes nothing."""
    _refuse_unless_may_manage_all(by, users)
    ids = list(
        User.objects.filter(
            id__in=users.order_by().values("id"),
            marked_for_deletion_at__isnull=True,
            anonymised_at__isnull=True,
        )
        .exclude(status=UserStatus.DELETED)
        .select_for_update()
        .order_by("id")
        .values_list("id", flat=True)
    )
    return _set_deletion_mark(users, ids, at=timezone.now(), by=by, reason=reason)


@transaction.atomic
def users_clear_deletion_mark(users: QuerySet, *, by, reason: str) -> BulkOutcome:
    _refuse_unless_may_manage_all(by, users)
    ids = list(
        User.objects.filter(
            id__in=users.order_by().values("id"), marked_for_deletion_at__isnull=False
        )
        .select_for_update()
        .order_by("id")
        .values_list("id", flat=True)
    )
    return _set_deletion_mark(users, ids, at=None, by=by, reason=reason)


def _set_deletion_mark(users: QuerySet, ids: list[int], *, at, by, reason: str) -> BulkOutcome:
    """Mark (at a time) or clear (at None) these people, with their history rows."""
    now = at or timezone.now()
    for batch in batched(ids):
        User.objects.filter(id__in=batch).update(
            marked_for_deletion_at=at, marked_for_deletion_by=by if at else None
        )
        insert_history_rows(User, batch, by=by, reason=reason, when=now)
    return BulkOutcome(changed=len(ids), skipped=users.count() - len(ids), ids=ids)


def _first_sign_in(rows: list[dict], how: str) -> list[Credentials]:
    """Give each new active person a way in, as reactivation does (`_issue_credentials`):
    the password fields go into their rows, the links are mailed once they exist."""
    handed_out = []
    for row in rows:
        if row["status"] != UserStatus.ACTIVE:
            continue
        person = User(
            username=row["username"],
            email=row.get("email") or "",
            first_name=row.get("first_name") or "",
            last_name=row.get("last_name") or "",
        )
        issued, fields = _issue_credentials(person, by_email=how == SIGN_IN_LINK, welcome=True)
        row.update({name: getattr(person, name) for name in fields})
        row["_person"] = person
        handed_out.append(issued)
    return handed_out


def _create_people(
    rows: list[dict], *, by, reason: str, now, sign_in: str = ""
) -> tuple[list[int], list[Credentials]]:
    """Insert new people with their "+" history rows; no usable password unless `sign_in`
    says how they get one."""
    values = [{**row, "status": row.get("status") or UserStatus.ACTIVE} for row in rows]
    common = {"date_joined": now, "status_changed_at": now}
    handed_out = _first_sign_in(values, sign_in) if sign_in else []
    unusable = make_password(None)
    for row in values:
        row.setdefault("password", unusable)
    people = [row.pop("_person", None) for row in values]
    ids = insert_rows(User, values, common=common)
    for person, pk in zip(people, ids, strict=True):
        if person is not None:
            person.pk = pk  # before commit, when the links are mailed
    for batch in batched(ids):
        insert_history_rows(User, batch, by=by, reason=reason, history_type="+", when=now)
    figures.people_added(ids, now=now)
    return ids, handed_out


def _update_people(changes: dict[int, dict], *, now) -> None:
    """Write field changes, grouped by the set of fields each person changes."""
    by_fields: dict[tuple[str, ...], list[int]] = {}
    for user_id, values in changes.items():
        unknown = set(values) - set(IMPORTABLE_FIELDS)
        if unknown:
            raise DomainError(f"An import cannot change {', '.join(sorted(unknown))}.")
        by_fields.setdefault(tuple(sorted(values)), []).append(user_id)
    for fields, ids in by_fields.items():
        # A new organisation moves everything the person counts under the old one.
        moving = ids if "organisation_id" in fields else []
        with figures.people_changing(moving, now=now):
            update_rows(
                User,
                fields,
                [(user_id, *(changes[user_id][name] for name in fields)) for user_id in ids],
            )


@transaction.atomic
def users_apply_import(
    *,
    create: list[dict],
    update: dict[int, dict],
    status: dict[str, list[int]],
    undelete: dict[str, list[int]],
    by,
    reason: str,
    new_people_sign_in: str = "",
) -> ImportOutcome:
    """Apply a previewed import of people, all of it or (on any error) none of it.

    create: field values of new people (status included: a person may arrive inactive).
    update: person id -> {field: new value}.
    status: "active" or "inactive" -> ids of existing people moving there.
    undelete: "active" or "inactive" -> ids of deleted people coming back there.
    new_people_sign_in: how new active people get in (SIGN_IN_CHOICES; "" for not yet).
    """
    if new_people_sign_in not in SIGN_IN_CHOICES:
        raise DomainError(f"Unknown way to sign in: {new_people_sign_in!r}.")
    now = timezone.now()
    outcome = ImportOutcome()
    touched = sorted({*update, *(i for ids in [*status.values(), *undelete.values()] for i in ids)})
    for batch in batched(touched):
        _refuse_unless_may_manage_all(by, User.objects.filter(id__any_of=batch))
    for batch in batched(touched):
        list(User.objects.filter(id__any_of=batch).select_for_update().values_list("id", flat=True))

    new_ids, outcome.credentials = _create_people(
        create, by=by, reason=reason, now=now, sign_in=new_people_sign_in
    )
    outcome.created = len(new_ids)
    outcome.enrolled_in_everyone_courses = enrollment_services.enrollments_create_for_new_users(
        new_ids, by=by, reason=reason
    )

    _update_people(update, now=now)
    moving = {i for ids in [*status.values(), *undelete.values()] for i in ids}
    only_fields = [user_id for user_id in update if user_id not in moving]
    for batch in batched(only_fields):
        insert_history_rows(User, batch, by=by, reason=reason, when=now)
    outcome.updated = len(update)

    for target, ids in status.items():
        for batch in batched(ids, 1000):
            selection = User.objects.filter(id__in=batch)
            if target == UserStatus.INACTIVE:
                done = users_deactivate(selection, by=by, reason=reason)
                outcome.deactivated += done.changed
            elif target == UserStatus.ACTIVE:
                done = users_reactivate(selection, by=by, reason=reason)
                outcome.reactivated += done.changed
                outcome.credentials += done.credentials
            else:
                raise DomainError(f"An import cannot move people to {target!r}.")
            if done.skipped:
                raise DomainError(
                    f"{done.skipped} people changed status while the import ran; "
                    "nothing was imported. Preview the file again."
                )
    for target, ids in undelete.items():
        for batch in batched(ids, 1000):
            done = users_undelete(
                User.objects.filter(id__in=batch), by=by, reason=reason, to_status=target
            )
            if done.skipped:
                raise DomainError(
                    f"{done.skipped} people were undeleted while the import ran; "
                    "nothing was imported. Preview the file again."
                )
            outcome.undeleted += done.changed
            outcome.credentials += done.credentials
    return outcome


@transaction.atomic
def segments_apply_import(
    *, add: dict[int, list[int]], remove: dict[int, list[int]], by, reason: str
) -> tuple[int, int]:
    """Segment id -> people to add, and to remove. Returns (added, removed)."""
    added = removed = 0
    for segment_id, user_ids in add.items():
        segment = Segment.objects.get(pk=segment_id)
        for batch in batched(user_ids):
            added += segment_add_members(
                segment, User.objects.filter(id__in=batch), by=by, reason=reason
            )
    for segment_id, user_ids in remove.items():
        segment = Segment.objects.get(pk=segment_id)
        for batch in batched(user_ids):
            removed += segment_remove_members(
                segment, User.objects.filter(id__in=batch), by=by, reason=reason
            )
    return added, removed
