"""What the user services share: locking, refusals, ending sessions, handing out credentials."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms_admin.plumbing.errors import DomainError, NotPermitted
from lms_admin.plumbing.history import batched
from lms_admin.plumbing.scoping import (
    TRAINING_ADMIN,
    manage_refusal,
    manageable_users,
    restricted_to_plain_accounts,
)
from lms_admin.plumbing.stale import refuse_stale_edit
from users.models import (
    MergeAccount,
    User,
    UserSession,
    UserStatus,
)
from users.site_url import site_url

# Characters for temporary passwords: no 0/O or 1/l/I, so they can be read out on the phone.
TEMPORARY_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PROFILE_FIELDS = ("username", "email", "first_name", "last_name", "sis_user_id", "organisation")
# Admin access on the user row; the role groups are the rest of it.
ACCESS_FIELDS = ("is_staff", "is_superuser")


@dataclass
class Credentials:
    """What reactivation handed out: a reset link by email, or a temporary password."""

    user: User
    reset_link_sent_to: str = ""
    temporary_password: str = ""
    expires_at: datetime | None = None

    @property
    def masked_email(self) -> str:
        return mask_email(self.reset_link_sent_to)


@dataclass
class BulkOutcome:
    changed: int = 0
    skipped: int = 0
    credentials: list[Credentials] = field(default_factory=list)
    # The ids of the changed rows, where the caller needs them (an SIS import's journal).
    ids: list[int] = field(default_factory=list)


def mask_email(email: str) -> str:
    """j.smith@example.com -> j…@e…: enough to recognise, not enough to harvest."""
    if "@" not in email:
        return ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}…@{domain[:1]}…"


def _label(user: User) -> str:
    return user.get_full_name()


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _lock_to_change(
    user: User,
    *,
    by,
    expected_version: str | None = None,
    expected_status: str | None = None,
) -> User:
    """The row, locked, once it is known that `by` may change it: not anonymised, within
    `by`'s reach, and (when the page said what it showed) not changed since."""
    locked = _lock(user)
    _refuse_anonymised(locked)
    _refuse_unless_may_manage(by, locked)
    refuse_stale_edit(locked, expected_version=expected_version, expected_status=expected_status)
    return locked


def _copy_fields(target: User, source: User, fields) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def _refuse_anonymised(user: User) -> None:
    if user.anonymised_at is not None:
        raise DomainError(
            f"{user.username} was anonymised on {user.anonymised_at:%d %b %Y}; "
            "an anonymised user cannot be changed."
        )


def _refuse_unless_may_manage(by, user: User) -> None:
    """A power user changes only plain accounts of their organisation (see plumbing.scoping)."""
    refusal = manage_refusal(by, user)
    if refusal:
        raise NotPermitted(refusal)


def _refuse_unless_may_manage_all(by, users: QuerySet) -> None:
    """Bulk form: refuse the whole change when any selected account is out of reach."""
    if not restricted_to_plain_accounts(by):
        return
    selection = User.objects.filter(id__in=users.order_by().values("id"))
    allowed = manageable_users(User.objects.all(), by).values("id")
    refused = list(selection.exclude(id__in=allowed).values_list("username", flat=True)[:4])
    if refused:
        names = ", ".join(refused[:3]) + (" …" if len(refused) > 3 else "")
        raise NotPermitted(
            f"You cannot change these accounts: {names}. They have admin access or belong to "
            "another organisation; only a training admin can change them. Nothing was changed."
        )


def _refuse_merged_away(user_ids, by) -> None:
    """An account merged into another (its merge not undone) comes back only by undoing the
    merge, which gives it back everything that came from it; undeleting or reactivating it
    by hand would bring back an empty account beside the primary. Refused, nothing changed.
    A primary (and its merge's page) that `by` cannot see is not named."""
    merged = []
    for batch in batched(user_ids):
        merged += (
            MergeAccount.objects.filter(user_id__any_of=batch, merge__undone_at__isnull=True)
            .select_related("user", "merge__primary")
            .order_by("user__username")[:4]
        )
        if len(merged) >= 4:
            break
    if not merged:
        return
    primaries = {account.merge.primary_id for account in merged}
    visible = primaries
    if by is not None:
        visible = set(
            User.objects.for_user(by).filter(pk__in=primaries).values_list("pk", flat=True)
        )

    def what(account) -> str:
        merge = account.merge
        into = merge.primary.username if merge.primary_id in visible else "another account"
        day = timezone.localtime(merge.created_at)
        return f"{account.user.username} was merged into {into} on {day:%d %b %Y}"

    first = merged[0].merge
    gives_back = "which also gives back everything that came from it"
    if len(merged) > 1:
        way_back = "undo those merges to get them back, or leave these accounts out"
    elif first.primary_id in visible:
        page = reverse("merge_detail", args=[first.pk])
        way_back = f"to get it back, undo that merge (merge {first.pk}, on {page}), {gives_back}"
    else:
        way_back = f"a training admin can get it back by undoing that merge, {gives_back}"
    more = " and others" if len(merged) > 3 else ""
    raise DomainError(
        f"{'; '.join(what(account) for account in merged[:3])}{more}. A merged account "
        f"cannot be undeleted or reactivated by hand: {way_back}. Nothing was changed."
    )


def _refuse_granting_access(by) -> None:
    if restricted_to_plain_accounts(by):
        raise NotPermitted("Only a training admin can give or take away admin access and roles.")


def _training_admins() -> QuerySet:
    return User.objects.filter(
        Q(is_superuser=True) | Q(groups__name=TRAINING_ADMIN), status=UserStatus.ACTIVE
    ).distinct()


def _training_admin_ids() -> set[int]:
    """The training admins and superusers, active or not: few, read from their own rows
    (the superusers' partial index and the role's memberships), never by trying everyone."""
    superusers = User.objects.filter(is_superuser=True).values_list("id", flat=True)
    members = User.groups.through.objects.filter(group__name=TRAINING_ADMIN)
    return set(superusers) | set(members.values_list("user_id", flat=True))


def _refuse_removing_last_training_admins(ids: list[int]) -> None:
    admins = _training_admins()
    leaving = admins.filter(id__any_of=ids)
    if leaving.exists() and not admins.exclude(id__any_of=ids).exists():
        raise _last_training_admins_error(leaving)


def _last_training_admins_error(leaving: QuerySet) -> DomainError:
    names = ", ".join(leaving.values_list("username", flat=True)[:3])
    return DomainError(
        f"{names} is the last active training admin. Make someone else a training admin "
        "first, so that somebody can still manage the platform."
    )


def _end_sessions(user_ids) -> None:
    UserSession.objects.filter(user_id__any_of=list(user_ids)).delete()


def _issue_credentials(
    user: User, *, by_email: bool = True, welcome: bool = False
) -> tuple[Credentials, list[str]]:
    """Prepare sign-in for a returning user; returns the credentials and changed fields.

    With an email (and `by_email`): the old password stays void and a reset link is mailed
    after commit. Otherwise: a temporary password, shown once to the admin, valid once and
    for a while. `welcome`: the person is new, and the mail says so.
    """
    if by_email and user.email:
        user.set_unusable_password()
        user.must_change_password = False
        user.temporary_password_expires_at = None
        credentials = Credentials(user=user, reset_link_sent_to=user.email)
        mail = send_set_password_link if welcome else send_password_reset_link
        link_site = site_url()  # the request's host, noted now: mail goes after commit
        transaction.on_commit(lambda: mail(user, site=link_site))
    else:
        password = "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(12))
        expires_at = timezone.now() + timedelta(hours=settings.TEMPORARY_PASSWORD_HOURS)
        user.set_password(password)
        user.must_change_password = True
        user.temporary_password_expires_at = expires_at
        credentials = Credentials(user=user, temporary_password=password, expires_at=expires_at)
    user.password_while_inactive = ""
    fields = ["password", "must_change_password", "temporary_password_expires_at"]
    return credentials, [*fields, "password_while_inactive"]


def password_reset_url(user: User, *, site: str | None = None) -> str:
    """The reset link, on `site`, else the host of the request being answered (SITE_URL
    without one: users.site_url)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return f"{site or site_url()}{path}"


def send_password_reset_link(
    user: User, *, site: str | None = None, reactivated: bool = True
) -> None:
    if reactivated:
        subject = "Your training account is active again"
        opening = (
            "Your training account has been reactivated. Your courses and certificates are "
            "as you left them. Choose a new password here:"
        )
    else:
        subject = "Choose a new password for your training account"
        opening = (
            "Someone asked to reset the password of your training account. If it was you, "
            "choose a new password here; if not, ignore this email:"
        )
    _mail_password_link(
        user, site=site, subject=subject, hello=user.get_short_name(), opening=opening
    )


def send_set_password_link(user: User, *, site: str | None = None) -> None:
    """A new person's first way in: a link to choose their password."""
    _mail_password_link(
        user,
        site=site,
        subject="Your training account is ready",
        hello=user.get_short_name() or user.username,
        opening="An account has been made for you on the training platform. Choose your "
        "password here:",
    )


def _mail_password_link(user: User, *, site: str | None, subject: str, hello: str, opening: str):
    """The one email that carries a link to choose a password, and what it says about it."""
    send_mail(
        subject=subject,
        message=(
            f"Hello {hello},\n\n"
            f"{opening}\n\n"
            f"{password_reset_url(user, site=site)}\n\n"
            f"Your username is {user.username}. The link works once and expires in "
            f"{settings.PASSWORD_RESET_TIMEOUT // 3600} hours.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
        fail_silently=False,
    )
