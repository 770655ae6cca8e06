"""Erasure (GDPR): a person's identifiers become a stable pseudonym everywhere, for good.

`user_anonymise` erases one person: the live row and every history row about them by key,
their sessions, API tokens and sign-in throttle rows, then every free-text field of every
table that mentions them (lms_admin.plumbing.erasure). `users_anonymise` is the set-based
bulk form the retention policy runs. Both keep enrolments, completions, scores and
certificates, de-identified, and return an ErasureReceipt that holds no personal data.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from lms_admin.plumbing import figures
from lms_admin.plumbing.erasure import (
    Identifiers,
    Touched,
    free_text_fields,
    scrub_rows,
    sweep_free_text,
)
from lms_admin.plumbing.errors import DomainError
from lms_admin.plumbing.history import batched, insert_history_rows, save_with_history
from users.models import (
    AccessToken,
    AuthenticationEvent,
    ErasureKind,
    ErasureReceipt,
    SignInName,
    User,
    UserSession,
    UserStatus,
)
from users.services.common import (
    _lock,
    _refuse_removing_last_training_admins,
    _refuse_unless_may_manage,
    _refuse_unless_may_manage_all,
)

ERASED_REASON = "Erased on request"
# People per set-based step of a bulk erasure.
BULK_BATCH = 5000
IDENTITY_FIELDS = ("username", "email", "first_name", "last_name", "sis_user_id")
# Third-party tables of failed sign-ins: they hold usernames and addresses, so a person's
# rows go entirely (nothing in them is worth keeping once the person is gone).
SIGN_IN_THROTTLE_MODELS = ("AccessAttempt", "AccessFailureLog", "AccessLog")
# Rewritten by key (or by a trigger) rather than searched: see `_sweep_skips`.
KEPT = [
    ("enrolments", "Kept for statistics: course, state, dates and score, with no identifiers."),
    ("certificates", "Kept: a certificate stays valid; verifying it shows the pseudonym."),
    ("sign-in times", "Kept for the analytics: dates only, no addresses or identifiers."),
    ("figures ledger", "Kept: daily counts per organisation and course, no personal data."),
    (
        "history rows",
        "Kept with the pseudonym in place of every identifier, so the record of what "
        "happened stays complete.",
    ),
    ("sign-up and last sign-in dates", "Kept on the anonymised account: not identifying."),
    (
        "other people's history",
        "Reasons typed on other people's records are not searched: those history tables "
        "hold millions of rows. Their own records' history and every other table are.",
    ),
]


def pseudonym_tag(user_id: int) -> str:
    """Stable and unique: the account number in hex, which identifies nobody by itself."""
    return f"{user_id:x}"


def pseudonym_of(user_id: int) -> dict:
    tag = pseudonym_tag(user_id)
    return {
        "username": f"former-learner-{tag}",
        "email": "",
        "first_name": "Former",
        "last_name": f"learner {tag}",
        "sis_user_id": None,
    }


def pseudonym_label(user_id: int) -> str:
    return f"Former learner {pseudonym_tag(user_id)}"


def identifiers_of(values: dict, user_id: int) -> Identifiers:
    first, last = values.get("first_name") or "", values.get("last_name") or ""
    names = [f"{first} {last}".strip(), f"{last} {first}".strip(), f"{last}, {first}"]
    return Identifiers(
        [
            values.get("username") or "",
            values.get("email") or "",
            values.get("sis_user_id") or "",
            *(name for name in names if " " in name),
        ],
        pseudonym_label(user_id),
    )


def _refuse_already_anonymised(user: User) -> None:
    if user.anonymised_at is not None:
        raise DomainError(
            f"{user.get_full_name()} was already erased on {user.anonymised_at:%d %b %Y}; "
            "there is nothing left to erase. Nothing was changed."
        )


def _raw_delete(queryset: QuerySet) -> int:
    """Delete without loading rows or sending signals: no history row may repeat them."""
    return queryset._raw_delete(queryset.db) or 0


def _sign_in_throttle_rows(identifiers: Identifiers, usernames: list[str]) -> list[Touched]:
    if not apps.is_installed("axes"):
        return []
    touched = []
    for name in SIGN_IN_THROTTLE_MODELS:
        model = apps.get_model("axes", name)
        condition = Q()
        for value in usernames:
            condition |= Q(username__iexact=value)
        for value in identifiers.values:
            for text_field in ("get_data", "post_data"):
                if hasattr(model, text_field):
                    condition |= Q(**{f"{text_field}__icontains": value})
        if not condition:
            continue
        deleted, _ = model.objects.filter(condition).delete()
        if deleted:
            touched.append(
                Touched(model._meta.db_table, ["username", "ip_address", "*"], deleted, "deleted")
            )
    return touched


def _end_access(user_ids: list[int]) -> list[Touched]:
    """Sessions and API tokens end; tokens and their history go (their purposes are free
    text written by or about the person); so do their sign-in events (addresses and
    browsers) and the extra sign-in names a merge kept for them, with their history."""
    touched = []
    sessions = _raw_delete(UserSession.objects.filter(user_id__in=user_ids))
    token_history = _raw_delete(AccessToken.history.model.objects.filter(user_id__in=user_ids))
    tokens = _raw_delete(AccessToken.objects.filter(user_id__in=user_ids))
    events = _raw_delete(AuthenticationEvent.objects.filter(user_id__in=user_ids))
    name_history = _raw_delete(SignInName.history.model.objects.filter(user_id__in=user_ids))
    names = _raw_delete(SignInName.objects.filter(user_id__in=user_ids))
    for model, rows in (
        (UserSession, sessions),
        (AccessToken, tokens),
        (AccessToken.history.model, token_history),
        (AuthenticationEvent, events),
        (SignInName, names),
        (SignInName.history.model, name_history),
    ):
        if rows:
            touched.append(Touched(model._meta.db_table, ["*"], rows, "deleted"))
    return touched


def _sweep_skips() -> dict[str, set[str]]:
    skip = {
        User._meta.db_table: {"*"},  # the live rows: rewritten by key
        ErasureReceipt._meta.db_table: {"*"},  # written here, without personal data
        User.history.model._meta.db_table: set(IDENTITY_FIELDS),  # rewritten by key
        "users_usersearch": {"*"},  # kept by a trigger from users_user
        UserSession._meta.db_table: {"*"},  # the person's sessions are deleted by key
    }
    if apps.is_installed("axes"):
        for name in SIGN_IN_THROTTLE_MODELS:
            skip[apps.get_model("axes", name)._meta.db_table] = {"*"}
    return skip


def _person_history(user_id: int) -> dict[str, QuerySet]:
    """The history tables of records about a person (their account, enrolments,
    certificates, memberships, tokens: any tracked model whose scope runs through its user),
    narrowed to the rows about this person by an index. These tables hold millions of rows;
    the rest of each is about other people."""
    narrowed = {User.history.model._meta.db_table: User.history.filter(id=user_id)}
    for model in apps.get_models():
        history = getattr(model, "history", None)
        path = getattr(model, "scope_path", "")
        if history is None or not path.endswith("user__organisation_id"):
            continue
        person = path.removesuffix("__organisation_id")
        narrowed[history.model._meta.db_table] = history.model.objects.filter(**{person: user_id})
    return narrowed


def _kept(user_ids: list[int]) -> list[dict]:
    enrollment = apps.get_model("enrollments", "Enrollment")
    certificate = apps.get_model("enrollments", "Certificate")
    counts = {
        "enrolments": enrollment.objects.filter(user_id__in=user_ids).count(),
        "certificates": certificate.objects.filter(enrollment__user_id__in=user_ids).count(),
        "history rows": User.history.filter(id__in=user_ids).count(),
    }
    return [{"what": what, "rows": counts.get(what), "why": why} for what, why in KEPT]


@transaction.atomic
def user_anonymise(user: User, *, by, reason: str) -> ErasureReceipt:
    """Erase one person for good (GDPR): see the module docstring. Cannot be undone."""
    locked = _lock(user)
    _refuse_already_anonymised(locked)
    _refuse_unless_may_manage(by, locked)
    if locked.pk == getattr(by, "pk", None):
        raise DomainError("You cannot erase your own account. Nothing was changed.")
    _refuse_removing_last_training_admins([locked.pk])
    former = {name: getattr(locked, name) for name in IDENTITY_FIELDS}
    identifiers = identifiers_of(former, locked.pk)
    now = timezone.now()
    pseudonym = pseudonym_of(locked.pk)
    touched: list[Touched] = []

    rows = User.history.filter(id=locked.pk).update(**pseudonym)
    touched.append(Touched(User.history.model._meta.db_table, list(IDENTITY_FIELDS), rows))

    fields = [*IDENTITY_FIELDS, "anonymised_at", "password", "marked_for_deletion_at"]
    fields += ["marked_for_deletion_by", "must_change_password", "temporary_password_expires_at"]
    fields += ["password_while_inactive"]
    for name, value in pseudonym.items():
        setattr(locked, name, value)
    locked.password_while_inactive = ""
    locked.anonymised_at = now
    locked.set_unusable_password()
    locked.marked_for_deletion_at = None
    locked.marked_for_deletion_by = None
    locked.must_change_password = False
    locked.temporary_password_expires_at = None
    if locked.status == UserStatus.ACTIVE:
        locked.status = UserStatus.INACTIVE
        locked.status_changed_at = now
        fields += ["status", "status_changed_at"]
        with figures.people_changing([locked.pk], now=now):
            save_with_history(locked, fields, by=by, reason=ERASED_REASON)
    else:
        save_with_history(locked, fields, by=by, reason=ERASED_REASON)
    touched.append(Touched(User._meta.db_table, list(IDENTITY_FIELDS), 1))

    touched += _end_access([locked.pk])
    touched += _sign_in_throttle_rows(identifiers, [former["username"], former["email"] or ""])
    touched += sweep_free_text(
        identifiers, skip=_sweep_skips(), narrowed=_person_history(locked.pk)
    )
    receipt = _write_receipt(
        kind=ErasureKind.PERSON,
        user=locked,
        organisation_id=locked.organisation_id,
        pseudonym=pseudonym_label(locked.pk),
        people=1,
        now=now,
        by=by,
        reason=identifiers.scrub(reason or ""),
        touched=touched,
        kept=_kept([locked.pk]),
    )
    user.__dict__.update({name: getattr(locked, name) for name in fields})
    return receipt


def _write_receipt(*, kind, now, by, reason: str, touched: list[Touched], kept, **about):
    """The erasure receipt of a run: what it touched, one line per table and action, and
    what it kept and why. `about`: whom it concerns (user, organisation, pseudonym, people)."""
    return ErasureReceipt.objects.create(
        kind=kind,
        created_at=now,
        created_by=by,
        reason=reason,
        touched=[item.as_dict() for item in _merged(touched)],
        kept=kept,
        **about,
    )


def _merged(touched: list[Touched]) -> list[Touched]:
    """One line per table and action: bulk runs add up their batches."""
    merged: dict[tuple, Touched] = {}
    for item in touched:
        key = (item.table, item.action, tuple(item.fields))
        if key in merged:
            merged[key].rows += item.rows
        else:
            merged[key] = Touched(item.table, list(item.fields), item.rows, item.action)
    return list(merged.values())


# Bulk: the retention policy's door --------------------------------------------------------


def _pseudonym_sql() -> dict[str, str]:
    """The pseudonym of `pseudonym_of`, computed by the database from each row's id."""
    tag = "to_hex(id)" if connection.vendor == "postgresql" else "printf('%%x', id)"
    return {
        "username": f"'former-learner-' || {tag}",
        "email": "''",
        "first_name": "'Former'",
        "last_name": f"'learner ' || {tag}",
        "sis_user_id": "NULL",
    }


def _rewrite_identities(
    model: type[models.Model], ids: list[int], extra: dict | None = None
) -> int:
    """Identity columns (and `extra` {column: value}) rewritten by one UPDATE."""
    quote = connection.ops.quote_name
    extra = extra or {}
    setters = [f"{quote(name)} = {sql}" for name, sql in _pseudonym_sql().items()]
    setters += [f"{quote(name)} = %s" for name in extra]
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {', '.join(setters)} "
        f"WHERE {quote('id')} IN ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra.values(), *ids])
        return cursor.rowcount


def _scrub_linked_free_text(former: dict[int, dict], handled: set[str]) -> list[Touched]:
    """Rows of other tables that point at these people and hold free text (an export
    record's username, an import's author): each person's identifiers, in their rows only."""
    touched = []
    for relation in User._meta.related_objects:
        model = relation.related_model
        if (
            relation.many_to_many
            or model._meta.db_table in handled
            or hasattr(model, "instance_type")
        ):
            continue
        text_fields = free_text_fields(model)
        if not text_fields:
            continue
        column = relation.field.name
        owners = set(
            model.objects.filter(**{f"{column}__in": list(former)}).values_list(
                f"{column}_id", flat=True
            )
        )
        for owner in owners:
            found = scrub_rows(
                model.objects.filter(**{column: owner}),
                text_fields,
                identifiers_of(former[owner], owner),
            )
            if found:
                touched.append(found)
    return touched


def users_anonymise(
    users: QuerySet, *, by, reason: str, kind: str = ErasureKind.RETENTION, organisation=None
) -> ErasureReceipt:
    """Erase many people set-based: identities and their history rewritten by the database,
    one history row each, sessions, tokens and throttle rows gone, linked free text scrubbed.
    Free text elsewhere that merely quotes them is searched only by `user_anonymise`."""
    with transaction.atomic():
        _refuse_unless_may_manage_all(by, users)
        ids = list(
            User.objects.filter(id__in=users.order_by().values("id"), anonymised_at__isnull=True)
            .select_for_update()
            .order_by("id")
            .values_list("id", flat=True)
        )
        _refuse_removing_last_training_admins(ids)
        now = timezone.now()
        unusable = make_password(None)
        touched: list[Touched] = []
        handled = {
            UserSession._meta.db_table,
            AccessToken._meta.db_table,
            ErasureReceipt._meta.db_table,
            "users_usersearch",
        }
        for batch in batched(ids, BULK_BATCH):
            former = {
                row["id"]: row
                for row in User.objects.filter(id__in=batch).values("id", *IDENTITY_FIELDS)
            }
            active = list(
                User.objects.filter(id__in=batch, status=UserStatus.ACTIVE).values_list(
                    "id", flat=True
                )
            )
            touched.append(
                Touched(
                    User.history.model._meta.db_table,
                    list(IDENTITY_FIELDS),
                    _rewrite_identities(User.history.model, batch),
                )
            )
            with figures.people_changing(active, now=now) if active else nullcontext():
                User.objects.filter(id__in=active).update(
                    status=UserStatus.INACTIVE, status_changed_at=now
                )
                _rewrite_identities(
                    User,
                    batch,
                    {
                        "anonymised_at": now,
                        "password": unusable,
                        "password_while_inactive": "",
                        "marked_for_deletion_at": None,
                        "marked_for_deletion_by_id": None,
                        "must_change_password": False,
                        "temporary_password_expires_at": None,
                    },
                )
            insert_history_rows(User, batch, by=by, reason=ERASED_REASON, when=now)
            touched.append(Touched(User._meta.db_table, list(IDENTITY_FIELDS), len(batch)))
            touched += _end_access(batch)
            names = [value for row in former.values() for value in (row["username"], row["email"])]
            touched += _bulk_throttle_rows([name for name in names if name])
            touched += _scrub_linked_free_text(former, handled)
        receipt = _write_receipt(
            kind=kind,
            organisation=organisation,
            people=len(ids),
            now=now,
            by=by,
            reason=reason,
            touched=touched,
            kept=[
                *_kept_counts_only(),
                {
                    "what": "free text elsewhere",
                    "rows": None,
                    "why": "Reasons and reports written about other records are searched "
                    "only when one person is erased on request.",
                },
            ],
        )
    return receipt


def _kept_counts_only() -> list[dict]:
    return [{"what": what, "rows": None, "why": why} for what, why in KEPT]


def _bulk_throttle_rows(names: list[str]) -> list[Touched]:
    if not apps.is_installed("axes") or not names:
        return []
    lowered = sorted({name.lower() for name in names})
    touched = []
    for name in SIGN_IN_THROTTLE_MODELS:
        model = apps.get_model("axes", name)
        if not model.objects.exists():  # usually: the throttle's rows expire within hours
            continue
        deleted, _ = (
            model.objects.annotate(_lowered=Lower("username")).filter(_lowered__in=lowered).delete()
        )
        if deleted:
            touched.append(Touched(model._meta.db_table, ["*"], deleted, "deleted"))
    return touched
