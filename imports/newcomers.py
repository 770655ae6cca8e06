"""New people in a file of people: what the preview says about them, so that nobody lands
in "No organisation" or without a way to sign in unnoticed."""

from __future__ import annotations

from dataclasses import dataclass

from imports.models import RowOutcome
from users.models import UserStatus


@dataclass
class NewPeople:
    total: int = 0
    active: int = 0
    without_organisation: int = 0
    without_email: int = 0

    def count(self, plans) -> None:
        for plan in plans:
            if plan.outcome != RowOutcome.NEW:
                continue
            self.total += 1
            if plan.values.get("organisation_id") is None:
                self.without_organisation += 1
                plan.notes.append("No organisation: this person will be under “No organisation”.")
            if plan.values.get("status") == UserStatus.ACTIVE:
                self.active += 1
                if not plan.values.get("email"):
                    self.without_email += 1

    def notes(self) -> list[str]:
        """What the preview says of the file's new people, whatever happens next."""
        if not self.without_organisation:
            return []
        return [
            f"{self.without_organisation:,} new {_people(self.without_organisation)} "
            "no organisation: the file has no organisation column for them and none was "
            "chosen on upload, so they will be under “No organisation”. Upload the file "
            "again with an organisation chosen if they belong to one."
        ]

    def sign_in_note(self) -> str:
        """The choice that confirming asks for, said on the command line (the admin's
        preview asks it beside its Confirm button instead, and only while it can be
        confirmed); empty when no new person is active."""
        if not self.active:
            return ""
        return (
            f"{self.active:,} new active {_people(self.active, verb='need')} a way to "
            "sign in: when you confirm, choose a link by email or a temporary password "
            "(on the command line: --sign-in link or password)."
        )

    def as_finding(self) -> dict:
        return {
            "total": self.total,
            "active": self.active,
            "without_organisation": self.without_organisation,
            "without_email": self.without_email,
        }


def _people(count: int, *, verb: str = "have") -> str:
    if count == 1:
        return "person " + ("has" if verb == "have" else verb + "s")
    return "people " + verb
