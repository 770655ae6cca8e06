"""Roles and the one place where a person's view of the data is narrowed.

Every admin queryset, form choice, report, export and API view asks `for_user(user)`.
Training admins and managers see everything; a power user sees their own organisation
and its sub-organisations; anyone else sees nothing.

Seeing is not changing: a power user may change only the plain accounts of their
organisation, never an account with admin rights (staff, superuser or in a role group).
`may_manage` and `manageable_users` say so, for the admin and the services alike.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

TRAINING_ADMIN = "Training admin"
MANAGER = "Manager"
POWER_USER = "Power user"
ROLES = (TRAINING_ADMIN, MANAGER, POWER_USER)

# Marker for "no narrowing": the person may see every organisation.
EVERYTHING = None


def role_of(user) -> str | None:
    """The person's strongest role, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_lms_role", "unset")
    if cached != "unset":
        return cached
    if user.is_superuser:
        role = TRAINING_ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        role = next((name for name in ROLES if name in names), None)
    user._lms_role = role
    return role


def organisation_tree_ids(root_id: int) -> set[int]:
    """The organisation and all its descendants, one query per level of depth."""
    organisation = apps.get_model("users", "Organisation")
    found = {root_id}
    frontier = {root_id}
    while frontier:
        frontier = set(
            organisation.objects.filter(parent_id__in=frontier)
            .exclude(id__in=found)
            .values_list("id", flat=True)
        )
        found |= frontier
    return found


def organisation_line(organisation_id: int) -> list[int]:
    """The organisation and its parents up to the top, nearest first, one query per level."""
    organisation = apps.get_model("users", "Organisation")
    line = [organisation_id]
    parent = organisation.objects.filter(pk=organisation_id).values_list("parent_id", flat=True)
    while (found := parent.first()) and found not in line:
        line.append(found)
        parent = organisation.objects.filter(pk=found).values_list("parent_id", flat=True)
    return line


def organisation_scope(user) -> set[int] | None:
    """Organisation ids the person may see, or EVERYTHING. Nobody (None) sees nothing."""
    if user is None:
        return set()
    cached = getattr(user, "_lms_scope", "unset")
    if cached != "unset":
        return cached
    role = role_of(user)
    if role in (TRAINING_ADMIN, MANAGER):
        scope = EVERYTHING
    elif role == POWER_USER and user.organisation_id:
        scope = organisation_tree_ids(user.organisation_id)
    else:
        scope = set()
    user._lms_scope = scope
    return scope


def forget_cached_scope(user) -> None:
    for attribute in ("_lms_role", "_lms_scope"):
        if hasattr(user, attribute):
            delattr(user, attribute)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the path from its model to an organisation id.

    Models set `scope_path` (e.g. "organisation_id" or "user__organisation_id") and, when
    rows without an organisation are shared by everyone (a course catalogue), set
    `scope_includes_unowned = True`.
    """

    def for_user(self, user):
        return scoped_by(self, user, self.model)


def scoped_by(queryset, user, model):
    """`queryset` narrowed to what `user` may see, by `model`'s `scope_path` (and
    `scope_includes_unowned`): ScopedQuerySet.for_user, and a history table's rows, whose
    paths are those of the model it records."""
    scope = organisation_scope(user)
    if scope is EVERYTHING:
        return queryset
    if not scope:
        return queryset.none()
    path = model.scope_path
    condition = models.Q(**{f"{path}__in": scope})
    if getattr(model, "scope_includes_unowned", False):
        condition |= models.Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


# Who may change whom ----------------------------------------------------------------------


def admin_account_condition() -> Q:
    """Accounts with admin rights: staff, superuser, or a member of any group (role)."""
    user_model = apps.get_model("users", "User")
    memberships = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return Q(is_staff=True) | Q(is_superuser=True) | Q(Exists(memberships))


def admin_account_ids() -> set[int]:
    """The ids of the accounts with admin rights: few, read from a small partial index of
    staff and superusers (users.User's user_admin_accounts_idx) and the role memberships,
    where the condition above must be tried on every person."""
    user_model = apps.get_model("users", "User")
    staff = user_model.objects.filter(Q(is_staff=True) | Q(is_superuser=True))
    members = user_model.groups.through.objects.values_list("user_id", flat=True)
    return set(staff.values_list("pk", flat=True)) | set(members)


def is_admin_account(user) -> bool:
    if user.is_staff or user.is_superuser:
        return True
    return user.pk is not None and user.groups.exists()


def restricted_to_plain_accounts(actor) -> bool:
    """Power users change only plain accounts of their organisation; nobody else is limited
    here (managers are refused by the faces and read everything)."""
    return role_of(actor) == POWER_USER


def may_manage(actor, target) -> bool:
    """Whether `actor` may change the account `target` (edit, toggle, reset, delete...)."""
    if not restricted_to_plain_accounts(actor):
        return True
    scope = organisation_scope(actor) or set()
    return target.organisation_id in scope and not is_admin_account(target)


def manageable_users(queryset, actor):
    """The users of `queryset` that `actor` may change."""
    if not restricted_to_plain_accounts(actor):
        return queryset
    return queryset.for_user(actor).exclude(admin_account_condition())


def manage_refusal(actor, target) -> str | None:
    """Why `actor` may not change `target`, in plain words; None when they may."""
    if may_manage(actor, target):
        return None
    if target.organisation_id not in (organisation_scope(actor) or set()):
        return f"{target.username} belongs to another organisation; you cannot change them."
    return (
        f"{target.username} has admin access. Only a training admin can change, reset, "
        "deactivate or delete an account with admin access."
    )
