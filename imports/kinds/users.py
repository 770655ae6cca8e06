"""Importing people: our own users file, or Canvas SIS users.csv.

A row is matched by SIS user ID, else by username. Empty cells leave a field as it is, so
a file with just `username` and `to_be_deleted` marks deletion candidates and nothing else.
A status word moves a person through the lifecycle services; "deleted" never deletes
anyone: it marks them as a candidate for deletion, for an admin to review.
"""

from __future__ import annotations

import re

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import BooleanField, ExpressionWrapper, Q

from imports import status_words
from imports.kinds.base import (
    Context,
    Kind,
    Layout,
    Organisations,
    RowPlan,
    clean_email,
    clean_length,
    clean_yes_no,
    formula_notes,
    unavailable,
)
from imports.models import RowOutcome, StatusApplies
from lms_admin.plumbing.scoping import admin_account_condition
from users import services
from users.models import User, UserStatus

OWN = Layout(
    name="people (this admin's export format)",
    columns={
        "username": "username",
        "sis_user_id": "sis_user_id",
        "first_name": "first_name",
        "last_name": "last_name",
        "email": "email",
        "organisation": "organisation",
        "status": "status",
        "to_be_deleted": "to_be_deleted",
    },
    required=(),
    one_of=(("username", "sis_user_id"),),
    read_only=("id", "date_joined", "last_login", "status_changed_at", "marked_for_deletion_at"),
)
CANVAS = Layout(
    name="Canvas SIS users.csv",
    columns={
        "user_id": "sis_user_id",
        "login_id": "username",
        "first_name": "first_name",
        "last_name": "last_name",
        "full_name": "full_name",
        "email": "email",
        "status": "status",
        "to_be_deleted": "to_be_deleted",
    },
    required=("user_id", "login_id", "status"),
    signature=("user_id", "login_id"),
)
PROFILE_COLUMNS = {"first_name", "last_name", "full_name", "email"}
FIELDS = ("id", "username", "sis_user_id", "email", "first_name", "last_name")
FIELDS += ("organisation_id", "status", "anonymised_at", "marked_for_deletion_at")
# What a row may change on someone already here and still be applied in one pass: not
# their username or SIS id (a later row could name them by the old one), not their mark
# for deletion, and no status (those the preview shows first).
ONE_PASS_CHANGES = frozenset({"first_name", "last_name", "email", "organisation_id"})
# The pattern of Django's UnicodeUsernameValidator, compiled once (see base.USER_PART).
USERNAME = re.compile(UnicodeUsernameValidator.regex)


class UsersKind(Kind):
    name = "users"
    label = "People"
    model = User
    state_fields = FIELDS
    permissions = ("users.add_user", "users.change_user")
    layouts = (CANVAS, OWN)
    one_pass = True

    def settles_in_one_pass(self, plan: RowPlan) -> bool:
        if plan.outcome == RowOutcome.UPDATED:
            return plan.values.keys() <= ONE_PASS_CHANGES
        return super().settles_in_one_pass(plan)

    def _lookup(self, context: Context, records):
        sis = {r["sis_user_id"] for r in records if r.get("sis_user_id")}
        names = {r["username"] for r in records if r.get("username")}
        found = User.objects.filter(Q(sis_user_id__any_of=sis) | Q(username__any_of=names))
        extra = {}
        if context.scope is not None:
            # Power users may not change accounts with admin rights (users/scoping.py).
            extra["admin_account"] = ExpressionWrapper(
                admin_account_condition(), output_field=BooleanField()
            )
        by_sis, by_username, taken = {}, {}, set()
        for row in found.order_by("id").values(*FIELDS, **extra):
            if not context.in_scope(row["organisation_id"]):
                # Someone the importer may not see: a row matches them no more than it would
                # match nobody. Only that their identifiers are taken is kept, so nothing of
                # theirs reaches a row's changes, messages, stored plan or report.
                taken.update({("sis_user_id", row["sis_user_id"]), ("username", row["username"])})
                continue
            if row["sis_user_id"]:
                by_sis[row["sis_user_id"]] = row
            by_username[row["username"]] = row
        return by_sis, by_username, taken

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        organisations = context.remember("organisations", Organisations)
        words = context.remember("words", lambda: status_words.meanings(StatusApplies.USERS))
        duplicate_sis = context.duplicates("SIS user ID")
        duplicate_names = context.duplicates("username")
        has_profile = bool(PROFILE_COLUMNS & set(layout.columns) & set(context.memory["names"]))
        translate = self.translator(layout, context.memory["names"])
        rows = [(line, translate(record), record) for line, record in records]
        by_sis, by_username, taken = self._lookup(context, [row for _, row, _ in rows])
        plans = []
        for line, row, record in rows:
            sis, username = row.get("sis_user_id", ""), row.get("username", "")
            plan = RowPlan(line=line, key=f"{username} (SIS {sis})" if sis else username)
            formula_notes(record, plan)
            if not sis and not username:
                plan.error("Give a username or an SIS user ID.")
                plans.append(plan.settle(new=False))
                continue
            duplicate_sis.check(sis, plan)
            duplicate_names.check(username, plan)
            existing = self._match(plan, sis, username, by_sis, by_username)
            self._plan_row(context, plan, row, existing, organisations, words, has_profile)
            if not plan.errors:
                # Only a row that would otherwise be imported says so: one that is refused
                # anyway reads the same as for an identifier nobody has.
                refuse_taken_elsewhere(plan, taken)
            plans.append(plan)
        return plans

    def _match(self, plan, sis, username, by_sis, by_username):
        """The person a row names, among those the importer may see (see `_lookup`)."""
        existing = by_sis.get(sis) if sis else None
        holder = by_username.get(username) if username else None
        if existing is None and holder is not None:
            if sis and holder["sis_user_id"] and holder["sis_user_id"] != sis:
                plan.error(
                    f"The username {username} belongs to someone with another SIS user "
                    f"ID ({holder['sis_user_id']})."
                )
                return None
            existing = holder
        elif existing is not None and holder is not None and holder["id"] != existing["id"]:
            plan.error(f"The username {username} already belongs to someone else.")
        if existing is not None and existing.get("admin_account"):
            plan.error(
                f"{existing['username']} has admin access; only a training admin can change "
                "that account."
            )
        return existing

    def _plan_row(self, context, plan, row, existing, organisations, words, has_profile):
        values = {}
        username = row.get("username", "")
        if username:
            if not USERNAME.match(username):
                plan.error(
                    f"The username “{username}” may hold only letters, digits and @ . + - _."
                )
            values["username"] = clean_length(username, plan, "username", 150)
        if row.get("sis_user_id"):
            values["sis_user_id"] = clean_length(row["sis_user_id"], plan, "SIS user ID", 100)
        first, last = row.get("first_name", ""), row.get("last_name", "")
        if not (first or last) and row.get("full_name"):
            first, _, last = row["full_name"].rpartition(" ")
            first, last = (first, last) if first else (last, "")
        if first:
            values["first_name"] = clean_length(first, plan, "first_name", 150)
        if last:
            values["last_name"] = clean_length(last, plan, "last_name", 150)
        if row.get("email"):
            values["email"] = clean_email(row["email"], plan)
        organisation_id = None
        if row.get("organisation"):
            organisation_id = organisations.find(row["organisation"], plan, context)
        elif context.organisation is not None:
            organisation_id = context.organisation.pk
        meaning = None
        if row.get("status"):
            meaning = words.get(status_words.normalise(row["status"]))
            if meaning is None:
                plan.error(
                    f"Unknown status “{row['status']}”. Use one of: "
                    f"{status_words.describe(StatusApplies.USERS)}; or add the word under "
                    "Import and export → Status words."
                )
        to_be_deleted = clean_yes_no(row.get("to_be_deleted", ""), plan, "to_be_deleted")
        if existing is None:
            self._plan_new(context, plan, values, organisation_id, meaning, to_be_deleted)
            if not has_profile and not plan.errors:
                sis = row.get("sis_user_id")
                plan.error(
                    unavailable(f"SIS user ID {sis}" if sis else f"username {username}")
                    + " This file has no name or email columns, so it can only change people "
                    "who are already here."
                )
            plan.settle(new=True)
            if plan.errors:
                plan.outcome = RowOutcome.ERROR
            return
        plan.target, plan.seen = existing["id"], self.fingerprint(existing)
        self._plan_existing(
            context, plan, values, existing, organisation_id, meaning, to_be_deleted, organisations
        )
        plan.settle(new=False)

    def _plan_new(self, context, plan, values, organisation_id, meaning, to_be_deleted):
        if not values.get("username"):
            plan.error("A new person needs a username (login_id in Canvas files).")
        if context.scope is not None and organisation_id is None:
            plan.error("Choose your organisation for the new people in this file.")
        values["organisation_id"] = organisation_id
        values["status"] = meaning or UserStatus.ACTIVE
        if meaning == UserStatus.DELETED:
            # Never deleted by an import, and no access either: kept for an admin to review.
            values["status"] = UserStatus.INACTIVE
            to_be_deleted = True
        if to_be_deleted:
            values["marked_for_deletion_at"] = context.now
            values["marked_for_deletion_by_id"] = context.person.pk
            plan.notes.append("Marked for deletion, to review on the Users page.")
        plan.values = values
        name = " ".join(filter(None, [values.get("first_name"), values.get("last_name")]))
        about = ", ".join(filter(None, [name, values.get("email")]))
        if about:
            plan.key = f"{plan.key}: {about}"
        if values["status"] != UserStatus.ACTIVE:
            plan.notes.append(f"Arrives {values['status']}.")

    def _plan_existing(
        self, context, plan, values, existing, organisation_id, meaning, to_be_deleted, orgs
    ):
        changes = {}
        for name, value in values.items():
            if existing[name] != value:
                changes[name] = value
                plan.change(name, existing[name], value)
        if organisation_id is not None and existing["organisation_id"] != organisation_id:
            if existing["organisation_id"] is None:
                changes["organisation_id"] = organisation_id
                plan.change("organisation", "", orgs.name(organisation_id))
            else:
                plan.error(
                    f"{existing['username']} belongs to {orgs.name(existing['organisation_id'])}"
                    f", not {orgs.name(organisation_id)}. An import does not move people "
                    "between organisations; change it on their page if it is right."
                )
        status = existing["status"]
        marked = existing["marked_for_deletion_at"] is not None
        if meaning == UserStatus.DELETED and status != UserStatus.DELETED:
            plan.notes.append(
                "An import never deletes anyone: marked for deletion instead, to review on "
                "the Users page."
            )
            to_be_deleted = True
        elif meaning and meaning != status:
            plan.status, plan.was = meaning, status
            plan.change("status", status, meaning)
            if status == UserStatus.DELETED:
                plan.notes.append("Undeleted: every enrolment returns to its exact state.")
        if to_be_deleted and not marked and status != UserStatus.DELETED:
            changes["marked_for_deletion_at"] = context.now
            changes["marked_for_deletion_by_id"] = context.person.pk
            plan.change("to be deleted", False, True)
        elif to_be_deleted is False and marked:
            changes["marked_for_deletion_at"] = None
            changes["marked_for_deletion_by_id"] = None
            plan.change("to be deleted", True, False)
        if existing["anonymised_at"] is not None and (changes or plan.status):
            plan.error(f"{existing['username']} was anonymised and cannot be changed.")
        plan.values = changes

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        create, update = [], {}
        status: dict[str, list[int]] = {}
        undelete: dict[str, list[int]] = {}
        for plan in plans:
            if plan.outcome == RowOutcome.NEW:
                create.append(plan.values)
                continue
            if plan.values:
                update[plan.target] = plan.values
            if plan.status:
                moves = undelete if plan.was == UserStatus.DELETED else status
                moves.setdefault(plan.status, []).append(plan.target)
        outcome = services.users_apply_import(
            create=create,
            update=update,
            status=status,
            undelete=undelete,
            by=context.person,
            reason=context.reason,
            new_people_sign_in=context.new_people_sign_in,
        )
        handed_out = context.memory.setdefault("temporary_passwords", [])
        for credentials in outcome.credentials:
            if credentials.temporary_password:
                handed_out.append(
                    {
                        "username": credentials.user.username,
                        "name": credentials.user.get_full_name(),
                        "temporary_password": credentials.temporary_password,
                        "expires_at": credentials.expires_at.isoformat(),
                    }
                )
        return {
            "created": outcome.created,
            "updated": outcome.updated,
            "deactivated": outcome.deactivated,
            "reactivated": outcome.reactivated,
            "undeleted": outcome.undeleted,
            "reset links sent": sum(1 for c in outcome.credentials if c.reset_link_sent_to),
            "enrolled in “everyone” courses": outcome.enrolled_in_everyone_courses,
        }


IDENTIFIERS = (("sis_user_id", "SIS user ID"), ("username", "username"))


def refuse_taken_elsewhere(plan: RowPlan, taken: set) -> None:
    """Refuse a row that would give someone an SIS user ID or username held outside the
    importer's organisation, with the words used for an identifier nobody has."""
    for name, what in IDENTIFIERS:
        value = plan.values.get(name)
        if value and (name, value) in taken:
            plan.error(unavailable(f"{what} {value}"))
            plan.outcome = RowOutcome.ERROR
