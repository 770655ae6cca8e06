"""Importing terms: Canvas SIS terms.csv (term_id, name, status, start_date, end_date).

A term is matched by its SIS term ID within the import's organisation (a term of another
organisation with the same id is another term); new terms belong to that organisation, or
are shared when the import has none. Terms are never deleted by an import. Courses name
their term in courses.csv's term_id column (`Terms` below).
"""

from __future__ import annotations

from enrollments import selectors, services
from enrollments.models import EnrollmentTerm
from imports.kinds.base import (
    Context,
    Kind,
    Layout,
    RowPlan,
    clean_datetime,
    clean_length,
    formula_notes,
    refuse_deleted,
    writes,
)

TERMS_CANVAS = Layout(
    name="Canvas SIS terms.csv",
    columns={
        "term_id": "sis_term_id",
        "name": "name",
        "status": "status",
        "start_date": "start_at",
        "end_date": "end_at",
    },
    required=("term_id", "name", "status"),
)


class Terms:
    """The terms courses.csv names by SIS term ID, as `selectors.terms_by_sis_id` finds them
    for each course's organisation (a new course without one: the import's)."""

    def __init__(self, context: Context, sis_ids: set[str]):
        self.context = context
        self.sis_ids = sis_ids
        self.by_owner: dict[int | None, dict[str, EnrollmentTerm]] = {}
        self.names: dict[int, str] = {}

    def find(self, sis: str, owner_id: int | None, plan: RowPlan) -> int | None:
        if owner_id is None and self.context.organisation is not None:
            owner_id = self.context.organisation.pk
        if owner_id not in self.by_owner:
            self.by_owner[owner_id] = selectors.terms_by_sis_id(
                self.context.person, owner_id, self.sis_ids
            )
        term = self.by_owner[owner_id].get(sis)
        if term is None:
            # The same words for a term nobody has and one outside the importer's reach.
            plan.error(
                f"No term has the SIS term ID {sis} for this course: add it to terms.csv, "
                "or create it on the Terms page first."
            )
            return None
        self.names[term.pk] = str(term)
        return term.pk

    def name(self, term_id: int | None) -> str:
        if term_id is None:
            return "no term"
        if term_id not in self.names:
            term = EnrollmentTerm.objects.for_user(self.context.person).filter(pk=term_id).first()
            self.names[term_id] = str(term) if term else f"term #{term_id}"
        return self.names[term_id]


class TermsKind(Kind):
    name = "terms"
    label = "Terms"
    model = EnrollmentTerm
    permissions = ("enrollments.add_enrollmentterm", "enrollments.change_enrollmentterm")
    layouts = (TERMS_CANVAS,)
    FIELDS = ("name", "start_at", "end_at")
    state_fields = ("id", "sis_term_id", "organisation_id", *FIELDS)

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        duplicates = context.duplicates("SIS term ID")
        rows = [(line, self.translate(record, layout), record) for line, record in records]
        owner = context.organisation.pk if context.organisation is not None else None
        found = EnrollmentTerm.objects.filter(
            organisation_id=owner,
            sis_term_id__in=[row["sis_term_id"] for _, row, _ in rows if row.get("sis_term_id")],
        )
        existing_terms = {term["sis_term_id"]: term for term in found.values(*self.state_fields)}
        plans = []
        for line, row, record in rows:
            sis = row.get("sis_term_id", "")
            plan = RowPlan(line=line, key=f"{row.get('name', '')} (SIS {sis})")
            formula_notes(record, plan)
            refuse_deleted(row, plan, "terms", live={"active"}, use="active")
            duplicates.check(sis, plan)
            if not sis:
                plan.error("A term needs its term_id (the SIS term ID).")
            values = {}
            if row.get("name"):
                values["name"] = clean_length(row["name"], plan, "name", 255)
            for column, label in (("start_at", "start_date"), ("end_at", "end_date")):
                if row.get(column):
                    values[column] = clean_datetime(row[column], plan, label)
            existing = existing_terms.get(sis)
            start = values.get("start_at") or (existing or {}).get("start_at")
            end = values.get("end_at") or (existing or {}).get("end_at")
            if start and end and end < start:
                plan.error("The term cannot end before it starts.")
            if existing is None:
                if not row.get("name"):
                    plan.error("A new term needs a name.")
                plan.values = {
                    **values,
                    "sis_term_id": clean_length(sis, plan, "term_id", 100),
                    "organisation_id": owner,
                }
                for name, value in plan.values.items():
                    if value not in (None, "") and name != "organisation_id":
                        plan.change(name, "", value)
                plans.append(plan.settle(new=True))
                continue
            plan.target, plan.seen = existing["id"], self.fingerprint(existing)
            plan.take_changes(existing, values)
            plans.append(plan.settle(new=False))
        return plans

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        outcome = services.terms_apply_import(
            **writes(plans), by=context.person, reason=context.reason
        )
        return {"created": outcome.created, "updated": outcome.updated}
