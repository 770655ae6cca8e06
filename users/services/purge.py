"""Purge: the end of a client relationship. An organisation's people (its sub-organisations'
too) and everything about them go, history included; the organisation, its courses and
segments stay. Set-based: every table is reached from the user model's relations, so a
table another app adds later is not forgotten. The receipt keeps counts only.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from lms_admin.plumbing import figures
from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import batched
from lms_admin.plumbing.scoping import TRAINING_ADMIN, organisation_tree_ids, role_of
from users.models import ErasureKind, ErasureReceipt, Organisation, User
from users.services.erasure import (
    SIGN_IN_THROTTLE_MODELS,
    Touched,
    _raw_delete,
    _write_receipt,
)

PURGE_BATCH = 5000


def _training_admins_in(organisation_ids) -> models.QuerySet:
    return User.objects.filter(organisation_id__in=organisation_ids).filter(
        models.Q(is_superuser=True) | models.Q(groups__name=TRAINING_ADMIN)
    )


def _delete_enrolments(user_ids: list[int]) -> list[Touched]:
    """Enrolments and certificates (which protect their rows), with their history."""
    enrollment = apps.get_model("enrollments", "Enrollment")
    certificate = apps.get_model("enrollments", "Certificate")
    enrollment_ids = list(
        enrollment.objects.filter(user_id__in=user_ids).values_list("id", flat=True)
    )
    counts = []
    for batch in batched(enrollment_ids):
        counts += [
            (certificate.history.model, certificate.history.filter(enrollment_id__in=batch)),
            (certificate, certificate.objects.filter(enrollment_id__in=batch)),
        ]
    counts += [
        (enrollment.history.model, enrollment.history.filter(user_id__in=user_ids)),
        (enrollment, enrollment.objects.filter(user_id__in=user_ids)),
    ]
    return [
        Touched(model._meta.db_table, ["*"], _raw_delete(queryset.order_by()), "deleted")
        for model, queryset in counts
    ]


# Text columns that copy an author's name next to a link that is emptied.
NAME_COPIES = ("username", "created_by_name")


def _subject_or_author(model, relation) -> str:
    """ "author" when the row only names the person as who did something that stays."""
    column = relation.field.name
    if column == "history_user":
        return "author"
    live = getattr(model, "instance_type", None)
    if live is not None:  # a history table: judged by the live table's own link
        try:
            on_delete = live._meta.get_field(column).remote_field.on_delete
        except Exception:  # noqa: BLE001 - a history-only column
            return "subject"
        return "author" if on_delete is models.SET_NULL else "subject"
    return "author" if relation.on_delete is models.SET_NULL else "subject"


def _delete_related(user_ids: list[int]) -> list[Touched]:
    """Every row pointing at these people: deleted when it is about them (their history,
    sessions, tokens, memberships, sign-ins, admin log lines), emptied when it only names
    them as the author of something that stays (who made a change, who exported a file)."""
    touched = [
        Touched(
            User.history.model._meta.db_table,
            ["*"],
            _raw_delete(User.history.filter(id__in=user_ids).order_by()),
            "deleted",
        )
    ]
    for relation in User._meta.related_objects:
        if relation.many_to_many:  # e.g. a segment's members: its through rows go below
            continue
        model = relation.related_model
        column = relation.field.name
        rows = model._base_manager.filter(**{f"{column}__in": user_ids}).order_by()
        if _subject_or_author(model, relation) == "author":
            names = {
                name: ""
                for name in NAME_COPIES
                if any(f.name == name for f in model._meta.concrete_fields)
            }
            updated = rows.update(**{column: None, **names})
            action, fields = "author removed", [relation.field.column, *names]
        else:
            updated = _raw_delete(rows)
            action, fields = "deleted", ["*"]
        if updated:
            touched.append(Touched(model._meta.db_table, fields, updated, action))
    for through in (User.groups.through, User.user_permissions.through):
        deleted = _raw_delete(through.objects.filter(user_id__in=user_ids))
        if deleted:
            touched.append(Touched(through._meta.db_table, ["*"], deleted, "deleted"))
    return touched


def _clear_import_files(tree: set[int]) -> list[Touched]:
    """The organisation's import jobs keep their counts; their files, row reports and plans
    (which list its people) go."""
    if not apps.is_installed("imports"):
        return []
    job = apps.get_model("imports", "ImportJob")
    jobs = job.objects.filter(
        models.Q(organisation_id__in=tree) | models.Q(scope_organisation_id__in=tree)
    ).values("id")
    touched = []
    for name in ("ImportRow", "ImportPlan"):
        model = apps.get_model("imports", name)
        deleted = _raw_delete(model.objects.filter(job_id__in=jobs))
        if deleted:
            touched.append(Touched(model._meta.db_table, ["*"], deleted, "deleted"))
    cleared = job.objects.filter(id__in=jobs).update(
        content=None, credentials=[], findings={}, failure=""
    )
    if cleared:
        touched.append(
            Touched(
                job._meta.db_table,
                ["content", "credentials", "findings", "failure"],
                cleared,
                "emptied",
            )
        )
    return touched


def _delete_sign_in_throttle_rows(names: list[str]) -> list[Touched]:
    if not apps.is_installed("axes") or not names:
        return []
    touched = []
    for name in SIGN_IN_THROTTLE_MODELS:
        model = apps.get_model("axes", name)
        deleted, _ = model.objects.filter(username__in=names).delete()
        if deleted:
            touched.append(Touched(model._meta.db_table, ["*"], deleted, "deleted"))
    return touched


def _refuse_purging(organisation: Organisation, by, tree: set[int]) -> None:
    if by is not None and role_of(by) != TRAINING_ADMIN:
        raise NotPermitted("Only a training admin can purge an organisation.")
    admins = list(_training_admins_in(tree).values_list("username", flat=True)[:3])
    if admins:
        raise DomainError(
            f"{organisation.name} cannot be purged: training admins belong to it "
            f"({', '.join(admins)}). Move them to another organisation first. "
            "Nothing was changed."
        )


@transaction.atomic
def organisation_purge(organisation: Organisation, *, by, reason: str) -> ErasureReceipt:
    """Remove the organisation's people and everything about them, history included."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    tree = organisation_tree_ids(organisation.pk)
    _refuse_purging(organisation, by, tree)
    now = timezone.now()
    ids = list(
        User.objects.filter(organisation_id__in=tree)
        .select_for_update()
        .order_by("id")
        .values_list("id", flat=True)
    )
    touched: list[Touched] = []
    for batch in batched(ids, PURGE_BATCH):
        names = [
            value.lower()
            for row in User.objects.filter(id__in=batch).values_list("username", "email")
            for value in row
            if value
        ]
        with figures.people_changing(batch, now=now):
            touched += _delete_enrolments(batch)
            touched += _delete_related(batch)
            touched += _delete_sign_in_throttle_rows(names)
            searched = _raw_delete(
                apps.get_model("users", "UserSearch").objects.filter(user_id__in=batch)
            )
            if searched:
                touched.append(Touched("users_usersearch", ["*"], searched, "deleted"))
            touched.append(
                Touched(
                    User._meta.db_table,
                    ["*"],
                    _raw_delete(User.objects.filter(id__in=batch)),
                    "deleted",
                )
            )
    touched += _clear_import_files(tree)
    receipt = _write_receipt(
        kind=ErasureKind.PURGE,
        organisation=organisation,
        people=len(ids),
        now=now,
        by=by,
        reason=reason,
        touched=touched,
        kept=[
            {
                "what": "the organisation, its courses and segments",
                "rows": None,
                "why": "Only its people were purged; courses are shared with other records.",
            },
            {
                "what": "figures ledger",
                "rows": None,
                "why": "Past daily counts stay; they hold no personal data.",
            },
        ],
    )
    return receipt
