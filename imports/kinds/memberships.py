"""Importing segment memberships: who is in which segment.

A segment is named by its name and, for an organisation's segment, the organisation's SIS
account ID or short name. `status` "deleted" (or "removed") takes a person out; anything
else, or no status column, puts them in. Membership never depends on a person's status.
"""

from __future__ import annotations

from imports.kinds.base import Context, Kind, Layout, Organisations, RowPlan
from imports.kinds.people import People
from imports.models import RowOutcome
from users import services
from users.models import Segment, SegmentMembership

OWN = Layout(
    name="segment memberships (this admin's export format)",
    columns={
        "segment": "segment",
        "segment_organisation": "segment_organisation",
        "user_sis_id": "user_sis_id",
        "username": "username",
        "status": "status",
    },
    required=("segment",),
    one_of=(("user_sis_id", "username"),),
    read_only=("added_at", "user_status"),
)
IN = {"", "active", "accepted", "member", "yes"}
OUT = {"deleted", "removed", "no"}


class MembershipsKind(Kind):
    name = "memberships"
    label = "Segment memberships"
    model = SegmentMembership
    state_fields = ("id", "user_id", "segment_id")
    permissions = ("users.add_segmentmembership", "users.delete_segmentmembership")
    layouts = (OWN,)

    def _segments(self, context: Context) -> dict:
        found = {}
        for segment in Segment.objects.for_user(context.person).values(
            "id", "name", "organisation_id"
        ):
            found[(segment["organisation_id"], segment["name"].casefold())] = segment
        return found

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        organisations = context.remember("organisations", Organisations)
        segments = context.remember("segments", lambda: self._segments(context))
        duplicates = context.duplicates("membership")
        rows = [(line, self.translate(record, layout), record) for line, record in records]
        people = People(context, [row for _, row, _ in rows])
        resolved = []
        for line, row, _record in rows:
            who = row.get("user_sis_id") or row.get("username", "")
            plan = RowPlan(line=line, key=f"{who} in {row.get('segment', '')}")
            person = people.find(row, plan)
            organisation_id = None
            if row.get("segment_organisation"):
                organisation_id = organisations.find(row["segment_organisation"], plan, context)
            segment = segments.get((organisation_id, row.get("segment", "").casefold()))
            if segment is None and not plan.errors:
                plan.error(
                    f"There is no segment “{row.get('segment', '')}”"
                    + (f" in {organisations.name(organisation_id)}" if organisation_id else "")
                    + ". Create it in the admin first."
                )
            status = row.get("status", "").strip().casefold()
            if status not in IN | OUT:
                plan.error(f"status must be active or deleted, not “{row.get('status')}”.")
            resolved.append((plan, person, segment, status in OUT))
        pairs = [(p["id"], s["id"]) for _, p, s, _ in resolved if p and s]
        found = SegmentMembership.objects.filter(
            user_id__any_of={u for u, _ in pairs}, segment_id__any_of={s for _, s in pairs}
        )
        present = {(m["user_id"], m["segment_id"]): m for m in found.values(*self.state_fields)}
        plans = []
        for plan, person, segment, leaving in resolved:
            if person is None or segment is None:
                plans.append(plan.settle(new=False))
                continue
            duplicates.check(plan.key, plan)
            plan.values = {"user_id": person["id"], "segment_id": segment["id"]}
            membership = present.get((person["id"], segment["id"]))
            member = membership is not None
            if leaving and member:
                plan.target, plan.status, plan.was = membership["id"], "removed", "member"
                plan.seen = self.fingerprint(membership)
                plan.change("member", True, False)
            elif leaving:
                plan.notes.append("Not a member; nothing to remove.")
            elif not member:
                plan.change("member", "", True)
                if person["status"] != "active":
                    plan.notes.append(f"The person is {person['status']}; they stay a member.")
                plans.append(plan.settle(new=True))
                continue
            plans.append(plan.settle(new=False))
        return plans

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        add: dict[int, list[int]] = {}
        remove: dict[int, list[int]] = {}
        for plan in plans:
            if plan.outcome == RowOutcome.NEW:
                add.setdefault(plan.values["segment_id"], []).append(plan.values["user_id"])
            elif plan.status == "removed":
                remove.setdefault(plan.values["segment_id"], []).append(plan.values["user_id"])
        added, removed = services.segments_apply_import(
            add=add, remove=remove, by=context.person, reason=context.reason
        )
        return {"added": added, "removed": removed}
