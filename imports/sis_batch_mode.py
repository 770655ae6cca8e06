"""Canvas's batch mode, the better way: what the batch omits is marked "to be deleted" for
someone to review, never deleted. Runs in the import's transaction, after its files."""

from __future__ import annotations

from imports.models import ImportJob, ImportKind, ImportRow
from lms_admin.plumbing.scoping import organisation_tree_ids
from users import services as user_services
from users.models import User, UserStatus

MAX_LISTED = 200


def _sis_ids_in(part: ImportJob) -> set[str]:
    """The SIS ids and usernames of the batch's rows (keys read "username (SIS id)")."""
    found = set()
    for key in ImportRow.objects.filter(job=part).values_list("key", flat=True).iterator():
        username, _, sis = key.partition(" (SIS ")
        found.add(username)
        if sis:
            found.add(sis.removesuffix(")"))
    return found


def batch_mode_marks(job: ImportJob, parts: list[ImportJob]) -> list[list[str]]:
    """Mark the account's people with an SIS id whom users.csv omits; returns warnings."""
    people_part = next((part for part in parts if part.kind == ImportKind.USERS), None)
    if people_part is None:
        return [["", "Batch mode: no users.csv in the batch, so nobody was marked."]]
    listed = _sis_ids_in(people_part)
    omitted = (
        User.objects.filter(organisation_id__in=organisation_tree_ids(job.organisation_id))
        .exclude(sis_user_id__isnull=True)
        .exclude(sis_user_id="")
        .exclude(status=UserStatus.DELETED)
        .exclude(sis_user_id__in=listed)
        .exclude(username__in=listed)
    )
    names = list(omitted.order_by("sis_user_id").values_list("sis_user_id", flat=True)[:MAX_LISTED])
    if not names:
        return []
    user_services.users_mark_for_deletion(
        omitted, by=job.created_by, reason=f"Batch mode of SIS import {job.pk}: not in the batch"
    )
    shown = ", ".join(names)
    return [
        [
            people_part.file_name,
            f"Batch mode: {len(names)} people not in this batch were marked “to be deleted” "
            f"for review (nothing was deleted): {shown}.",
        ]
    ]
