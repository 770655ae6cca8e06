"""Importing courses and sections: our own files, or Canvas SIS courses.csv and sections.csv.

A course is matched by SIS course ID, else by its code (when exactly one course has it).
A section is matched by SIS section ID, else by its course and name; it never moves to
another course. Courses and sections are never deleted by an import.
"""

from __future__ import annotations

from django.db.models import Q

from enrollments import services
from enrollments.models import Course, EnrollmentMethod, Section
from enrollments.services.import_plan import COURSE_FIELDS as IMPORTED_COURSE_FIELDS
from imports.kinds.base import (
    Context,
    Kind,
    Layout,
    Organisations,
    RowPlan,
    clean_date,
    clean_length,
    formula_notes,
    refuse_deleted,
    unavailable,
    writes,
)
from imports.kinds.terms import Terms

COURSES_OWN = Layout(
    name="courses (this admin's export format)",
    columns={
        "code": "code",
        "name": "name",
        "sis_course_id": "sis_course_id",
        "organisation": "organisation",
        "enrollment_method": "enrollment_method",
        "start_date": "start_date",
        "end_date": "end_date",
    },
    required=("code", "name"),
    read_only=("id", "created_at"),
)
COURSES_CANVAS = Layout(
    name="Canvas SIS courses.csv",
    columns={
        "course_id": "sis_course_id",
        "short_name": "code",
        "long_name": "name",
        "account_id": "organisation",
        "status": "status",
        "start_date": "start_date",
        "end_date": "end_date",
        "term_id": "term",
    },
    required=("course_id", "short_name", "long_name", "status"),
    signature=("course_id", "short_name", "long_name"),
)


def visible_to(context: Context, organisation_id) -> bool:
    """Whether the importer may see a course of this organisation: their own, or the shared
    catalogue's (as `Course.objects.for_user`)."""
    return organisation_id is None or context.in_scope(organisation_id)


def refuse_taken_elsewhere(plan: RowPlan, what: str, value: str, taken: set) -> None:
    """Refuse a row that would otherwise give a course or section an SIS id held outside the
    importer's organisation, in the words used for an id nobody has."""
    if value and value in taken and not plan.errors:
        plan.error(unavailable(f"{what} {value}"))


METHODS = {"manual": EnrollmentMethod.MANUAL, "everyone": EnrollmentMethod.EVERYONE}


class CoursesKind(Kind):
    name = "courses"
    label = "Courses"
    model = Course
    permissions = ("enrollments.add_course", "enrollments.change_course")
    layouts = (COURSES_CANVAS, COURSES_OWN)
    FIELDS = IMPORTED_COURSE_FIELDS
    state_fields = ("id", "enrollment_method", *FIELDS)

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        organisations = context.remember("organisations", Organisations)
        duplicates = context.duplicates("SIS course ID")
        rows = [(line, self.translate(record, layout), record) for line, record in records]
        terms = Terms(context, {row["term"] for _, row, _ in rows if row.get("term")})
        sis = {row["sis_course_id"] for _, row, _ in rows if row.get("sis_course_id")}
        codes = {row["code"] for _, row, _ in rows if row.get("code")}
        found = Course.objects.filter(Q(sis_course_id__any_of=sis) | Q(code__any_of=codes))
        by_sis, by_code, taken = {}, {}, set()
        for course in found.order_by("id").values("id", "enrollment_method", *self.FIELDS):
            if not visible_to(context, course["organisation_id"]):
                taken.add(course["sis_course_id"])  # nothing else of it reaches the preview
                continue
            if course["sis_course_id"]:
                by_sis[course["sis_course_id"]] = course
            by_code.setdefault(course["code"], []).append(course)
        plans = []
        for line, row, record in rows:
            code, sis = row.get("code", ""), row.get("sis_course_id", "")
            plan = RowPlan(line=line, key=f"{code} (SIS {sis})" if sis else code)
            formula_notes(record, plan)
            duplicates.check(sis, plan)
            refuse_deleted(row, plan, "courses")
            existing = by_sis.get(sis) if sis else None
            if existing is None and code and not sis:
                same_code = by_code.get(code, [])
                if len(same_code) > 1:
                    plan.error(
                        f"{len(same_code)} courses have the code {code}; add a sis_course_id "
                        "column to say which one."
                    )
                elif same_code:
                    existing = same_code[0]
            values = {}
            if code:
                values["code"] = clean_length(code, plan, "code", 100)
            if row.get("name"):
                values["name"] = clean_length(row["name"], plan, "name", 255)
            if sis:
                values["sis_course_id"] = clean_length(sis, plan, "SIS course ID", 100)
            if row.get("organisation"):
                values["organisation_id"] = organisations.find(row["organisation"], plan, context)
            for column in ("start_date", "end_date"):
                if row.get(column):
                    values[column] = clean_date(row[column], plan, column)
            start, end = values.get("start_date"), values.get("end_date")
            if existing:
                start = start or existing["start_date"]
                end = end or existing["end_date"]
            if start and end and end < start:
                plan.error("The course cannot end before it starts.")
            if row.get("term"):
                # The course's own organisation's terms (and its parents', and the shared
                # ones); a new course without one looks in the import's organisation.
                owner = values.get("organisation_id") or (existing or {}).get("organisation_id")
                values["term_id"] = terms.find(row["term"], owner, plan)
            method = None
            if row.get("enrollment_method"):
                method = METHODS.get(row["enrollment_method"].strip().casefold())
                if method is None:
                    plan.error(
                        f"enrollment_method must be manual or everyone, not "
                        f"“{row['enrollment_method']}”."
                    )
            if existing is None:
                if not code or not row.get("name"):
                    plan.error("A new course needs a code and a name.")
                values.setdefault("organisation_id", None)
                values["enrollment_method"] = method or EnrollmentMethod.MANUAL
                plan.values = values
                for name, value in values.items():
                    if value not in (None, ""):
                        if name == "term_id":
                            name, value = "term", terms.name(value)
                        plan.change(name, "", value)
                refuse_taken_elsewhere(plan, "SIS course ID", sis, taken)
                plans.append(plan.settle(new=True))
                continue
            plan.target, plan.seen = existing["id"], self.fingerprint(existing)
            for name, value in values.items():
                if value is not None and existing[name] != value:
                    plan.values[name] = value
                    shown_old = existing[name]
                    if name == "organisation_id":
                        name = "organisation"
                        shown_old = organisations.name(existing["organisation_id"])
                        value = organisations.name(value)
                    elif name == "term_id":
                        name, shown_old, value = "term", terms.name(shown_old), terms.name(value)
                    plan.change(name, shown_old, value)
            if method and method != existing["enrollment_method"]:
                plan.enrollment_method = method
                plan.change("enrollment method", existing["enrollment_method"], method)
            plans.append(plan.settle(new=False))
        return plans

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        methods = {
            plan.target: plan.enrollment_method
            for plan in plans
            if plan.target and plan.enrollment_method
        }
        outcome = services.courses_apply_import(
            **writes(plans), methods=methods, by=context.person, reason=context.reason
        )
        return {
            "created": outcome.created,
            "updated": outcome.updated,
            "enrolled in “everyone” courses": outcome.enrolled_in_everyone_courses,
        }


SECTIONS_OWN = Layout(
    name="sections (this admin's export format)",
    columns={
        "course_sis_id": "course_sis_id",
        "course_code": "course_code",
        "name": "name",
        "sis_section_id": "sis_section_id",
    },
    required=("name",),
    one_of=(("course_sis_id", "course_code"),),
    read_only=("id", "is_default"),
)
SECTIONS_CANVAS = Layout(
    name="Canvas SIS sections.csv",
    columns={
        "section_id": "sis_section_id",
        "course_id": "course_sis_id",
        "name": "name",
        "status": "status",
    },
    required=("section_id", "course_id", "name", "status"),
    signature=("section_id",),
)


class Courses:
    """Courses by SIS course ID or code, for the rows of one batch."""

    def __init__(self, context: Context, sis: set[str], codes: set[str]):
        self.by_sis, self.by_code = {}, {}
        found = Course.objects.for_user(context.person).filter(
            Q(sis_course_id__any_of=sis) | Q(code__any_of=codes)
        )
        for course in found.values("id", "code", "sis_course_id", "organisation_id"):
            if course["sis_course_id"]:
                self.by_sis[course["sis_course_id"]] = course
            self.by_code.setdefault(course["code"], []).append(course)

    def find(self, sis: str, code: str, plan: RowPlan):
        if sis:
            course = self.by_sis.get(sis)
            if course is None:
                plan.error(f"No course has the SIS course ID {sis}.")
            return course
        same = self.by_code.get(code, [])
        if not same:
            plan.error(f"No course has the code {code}.")
            return None
        if len(same) > 1:
            plan.error(f"{len(same)} courses have the code {code}; give its SIS course ID.")
            return None
        return same[0]


class SectionsKind(Kind):
    name = "sections"
    label = "Sections"
    model = Section
    state_fields = ("id", "course_id", "name", "sis_section_id")
    permissions = ("enrollments.add_section", "enrollments.change_section")
    layouts = (SECTIONS_CANVAS, SECTIONS_OWN)

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        duplicates = context.duplicates("SIS section ID")
        names = context.duplicates("section")
        rows = [(line, self.translate(record, layout), record) for line, record in records]
        courses = Courses(
            context,
            {row["course_sis_id"] for _, row, _ in rows if row.get("course_sis_id")},
            {row["course_code"] for _, row, _ in rows if row.get("course_code")},
        )
        sis = {row["sis_section_id"] for _, row, _ in rows if row.get("sis_section_id")}
        course_ids = {c["id"] for c in courses.by_sis.values()} | {
            c["id"] for same in courses.by_code.values() for c in same
        }
        found = Section.objects.filter(
            Q(sis_section_id__any_of=sis) | Q(course_id__any_of=course_ids)
        )
        by_sis, by_name, taken = {}, {}, set()
        for section in found.values(*self.state_fields, "course__organisation_id"):
            if not visible_to(context, section.pop("course__organisation_id")):
                taken.add(section["sis_section_id"])  # nothing else of it reaches the preview
                continue
            if section["sis_section_id"]:
                by_sis[section["sis_section_id"]] = section
            by_name.setdefault((section["course_id"], section["name"]), section)
        plans = []
        for line, row, record in rows:
            section_sis, name = row.get("sis_section_id", ""), row.get("name", "")
            plan = RowPlan(line=line, key=f"{name} (SIS {section_sis})" if section_sis else name)
            formula_notes(record, plan)
            refuse_deleted(row, plan, "sections")
            duplicates.check(section_sis, plan)
            course = courses.find(row.get("course_sis_id", ""), row.get("course_code", ""), plan)
            if course is None:
                plans.append(plan.settle(new=False))
                continue
            if not section_sis:
                names.check(f"{name} in {course['code']}", plan)
            existing = by_sis.get(section_sis) if section_sis else by_name.get((course["id"], name))
            if existing is None and section_sis:
                # An unnamed-by-SIS section of the same name is the same section.
                candidate = by_name.get((course["id"], name))
                if candidate and not candidate["sis_section_id"]:
                    existing = candidate
            values = {"name": clean_length(name, plan, "name", 255)}
            if section_sis:
                values["sis_section_id"] = clean_length(section_sis, plan, "SIS section ID", 100)
            if existing is None:
                plan.values = {**values, "course_id": course["id"]}
                plan.change("course", "", course["code"])
                for field, value in values.items():
                    plan.change(field, "", value)
                refuse_taken_elsewhere(plan, "SIS section ID", section_sis, taken)
                plans.append(plan.settle(new=True))
                continue
            plan.target, plan.seen = existing["id"], self.fingerprint(existing)
            if existing["course_id"] != course["id"]:
                plan.error(
                    f"The section {existing['name']} belongs to another course; a section never "
                    "moves between courses."
                )
            for field, value in values.items():
                if existing[field] != value:
                    plan.values[field] = value
                    plan.change(field, existing[field], value)
            if "sis_section_id" in plan.values:
                refuse_taken_elsewhere(plan, "SIS section ID", section_sis, taken)
            plans.append(plan.settle(new=False))
        return plans

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        outcome = services.sections_apply_import(
            **writes(plans), by=context.person, reason=context.reason
        )
        return {"created": outcome.created, "updated": outcome.updated}
