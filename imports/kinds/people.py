"""Finding the people a file of enrolments or memberships names, one query per batch."""

from __future__ import annotations

from django.db.models import Q

from imports.kinds.base import Context, RowPlan, unavailable
from users.models import User

PERSON_FIELDS = ("id", "username", "sis_user_id", "organisation_id", "status")


class People:
    def __init__(self, context: Context, rows: list[dict]):
        self.context = context
        sis = {row["user_sis_id"] for row in rows if row.get("user_sis_id")}
        names = {row["username"] for row in rows if row.get("username")}
        self.by_sis, self.by_username = {}, {}
        found = User.objects.filter(Q(sis_user_id__any_of=sis) | Q(username__any_of=names))
        for person in found.values(*PERSON_FIELDS):
            if not context.in_scope(person["organisation_id"]):
                continue  # someone outside the importer's organisation is nobody to them
            if person["sis_user_id"]:
                self.by_sis[person["sis_user_id"]] = person
            self.by_username[person["username"]] = person

    def find(self, row: dict, plan: RowPlan) -> dict | None:
        sis, username = row.get("user_sis_id", ""), row.get("username", "")
        if not sis and not username:
            plan.error("Say who: give an SIS user ID or a username.")
            return None
        person = self.by_sis.get(sis) if sis else self.by_username.get(username)
        what = f"SIS user ID {sis}" if sis else f"username {username}"
        if person is None:
            plan.error(unavailable(what))
            return None
        return person
