"""Importing enrolments: our own file, or Canvas SIS enrollments.csv.

An enrolment is one person's role in one section. Without a section, the course's default
section is meant. A row changes an enrolment's state in place: it never moves it to
another section (seed 001). New enrolments send no notices: an import is a migration.
"""

from __future__ import annotations

from django.db.models import Q

from enrollments import services
from enrollments.models import Enrollment, EnrollmentType, Section
from imports import status_words
from imports.kinds.base import (
    Context,
    Kind,
    Layout,
    RowPlan,
    clean_datetime,
    clean_score,
    formula_notes,
    writes,
)
from imports.kinds.courses import Courses
from imports.kinds.people import People
from imports.models import StatusApplies
from users.models import UserStatus

OWN = Layout(
    name="enrolments (this admin's export format)",
    columns={
        "user_sis_id": "user_sis_id",
        "username": "username",
        "course_sis_id": "course_sis_id",
        "course_code": "course_code",
        "section_sis_id": "section_sis_id",
        "section_name": "section_name",
        "role": "role",
        "state": "state",
        "started_at": "started_at",
        "completed_at": "completed_at",
        "last_activity_at": "last_activity_at",
        "score": "score",
    },
    required=(),
    one_of=(("user_sis_id", "username"), ("course_sis_id", "course_code", "section_sis_id")),
    read_only=("id", "created_at", "updated_at", "source", "user_status"),
)
CANVAS = Layout(
    name="Canvas SIS enrollments.csv",
    columns={
        "course_id": "course_sis_id",
        "user_id": "user_sis_id",
        "role": "role",
        "section_id": "section_sis_id",
        "status": "state",
    },
    required=("user_id", "role", "status"),
    one_of=(("course_id", "section_id"),),
    signature=("user_id", "course_id", "section_id"),
)
ROLES = {
    "student": EnrollmentType.STUDENT,
    "teacher": EnrollmentType.TEACHER,
    "ta": EnrollmentType.TA,
    "observer": EnrollmentType.OBSERVER,
    "designer": EnrollmentType.DESIGNER,
    **{value.casefold(): value for value in EnrollmentType.values},
}
PROGRESS_FIELDS = ("started_at", "completed_at", "last_activity_at")
FIELDS = ("id", "user_id", "course_id", "section_id", "type", "state", *PROGRESS_FIELDS, "score")


class Sections:
    def __init__(self, context: Context, sis: set[str], course_ids: set[int]):
        found = Section.objects.for_user(context.person).filter(
            Q(sis_section_id__any_of=sis) | Q(course_id__any_of=course_ids)
        )
        self.by_sis, self.by_name, self.default, self.by_id = {}, {}, {}, {}
        for section in found.values("id", "course_id", "name", "sis_section_id", "is_default"):
            self.by_id[section["id"]] = section
            if section["sis_section_id"]:
                self.by_sis[section["sis_section_id"]] = section
            self.by_name[(section["course_id"], section["name"])] = section
            if section["is_default"]:
                self.default[section["course_id"]] = section

    def find(self, row: dict, course: dict | None, plan: RowPlan) -> dict | None:
        sis, name = row.get("section_sis_id", ""), row.get("section_name", "")
        if sis:
            section = self.by_sis.get(sis)
            if section is None:
                plan.error(f"No section has the SIS section ID {sis}.")
            elif course is not None and section["course_id"] != course["id"]:
                plan.error(f"The section {sis} belongs to another course.")
                return None
            return section
        if course is None:
            return None
        if name:
            section = self.by_name.get((course["id"], name))
            if section is None:
                plan.error(f"The course {course['code']} has no section named “{name}”.")
            return section
        return self.default.get(course["id"])


class EnrollmentsKind(Kind):
    name = "enrollments"
    label = "Enrolments"
    model = Enrollment
    state_fields = FIELDS
    permissions = ("enrollments.add_enrollment", "enrollments.change_enrollment")
    layouts = (CANVAS, OWN)

    def plan(self, context: Context, records) -> list[RowPlan]:
        layout = context.memory["layout"]
        words = context.remember(
            "enrolment_words", lambda: status_words.meanings(StatusApplies.ENROLLMENTS)
        )
        duplicates = context.duplicates("enrolment")
        rows = [(line, self.translate(record, layout), record) for line, record in records]
        plain = [row for _, row, _ in rows]
        people = People(context, plain)
        courses = Courses(
            context,
            {row["course_sis_id"] for row in plain if row.get("course_sis_id")},
            {row["course_code"] for row in plain if row.get("course_code")},
        )
        course_ids = {c["id"] for c in courses.by_sis.values()}
        course_ids |= {c["id"] for same in courses.by_code.values() for c in same}
        sections = Sections(
            context,
            {row["section_sis_id"] for row in plain if row.get("section_sis_id")},
            course_ids,
        )
        resolved = []
        for line, row, record in rows:
            who = row.get("user_sis_id") or row.get("username", "")
            plan = RowPlan(line=line, key=who)
            formula_notes(record, plan)
            person = people.find(row, plan)
            course = None
            if row.get("course_sis_id") or row.get("course_code"):
                course = courses.find(
                    row.get("course_sis_id", ""), row.get("course_code", ""), plan
                )
            section = sections.find(row, course, plan)
            role = ROLES.get(row.get("role", "").strip().casefold() or "student")
            if role is None:
                plan.error(
                    f"Unknown role “{row['role']}”. Use student, teacher, ta, observer or designer."
                )
            state = None
            if row.get("state"):
                state = words.get(status_words.normalise(row["state"]))
                if state is None:
                    plan.error(
                        f"Unknown enrolment status “{row['state']}”. Use one of: "
                        f"{status_words.describe(StatusApplies.ENROLLMENTS)}."
                    )
            if section is not None:
                plan.key = f"{who} in {section['name']}"
            resolved.append((plan, row, person, section, role, state))
        in_section, in_course = self._existing(resolved)
        plans = []
        for plan, row, person, section, role, state in resolved:
            if person is None or section is None or role is None:
                plans.append(plan.settle(new=False))
                continue
            existing = in_section.get((person["id"], section["id"], role))
            if existing is None and not self._section_named(row):
                # No section given (seed 001): the person's enrolment in this course is
                # meant, in whichever section it is; only without one is the default used.
                elsewhere = in_course.get((person["id"], section["course_id"], role), [])
                if len(elsewhere) > 1:
                    plan.error(
                        f"{plan.key.split(' in ')[0]} has this role in {len(elsewhere)} "
                        "sections of the course; give section_id to say which."
                    )
                    plans.append(plan.settle(new=False))
                    continue
                if elsewhere:
                    existing = elsewhere[0]
                    section = sections.by_id.get(existing["section_id"], section)
                    plan.key = f"{plan.key.split(' in ')[0]} in {section['name']}"
            duplicates.check(f"{plan.key} as {role}", plan)
            self._plan_row(plan, row, person, section, role, state, existing)
            plans.append(plan)
        return plans

    @staticmethod
    def _section_named(row: dict) -> bool:
        return bool(row.get("section_sis_id") or row.get("section_name"))

    def _existing(self, resolved) -> tuple[dict, dict]:
        """The enrolments of these people in these courses: by section, and by course."""
        people = {person["id"] for _, _, person, section, _, _ in resolved if person and section}
        courses = {section["course_id"] for _, _, person, section, _, _ in resolved if section}
        in_section, in_course = {}, {}
        if not people:
            return in_section, in_course
        found = Enrollment.objects.filter(user_id__any_of=people, course_id__any_of=courses)
        for row in found.order_by("id").values(*FIELDS):
            in_section[(row["user_id"], row["section_id"], row["type"])] = row
            in_course.setdefault((row["user_id"], row["course_id"], row["type"]), []).append(row)
        return in_section, in_course

    def _plan_row(self, plan, row, person, section, role, state, existing):
        values = {}
        for column in PROGRESS_FIELDS:
            if row.get(column):
                values[column] = clean_datetime(row[column], plan, column)
        if row.get("score"):
            values["score"] = clean_score(row["score"], plan)
        if existing is None:
            plan.values = {
                "user_id": person["id"],
                "course_id": section["course_id"],
                "section_id": section["id"],
                "type": role,
                "state": state or "active",
                **{name: value for name, value in values.items() if value is not None},
            }
            plan.change("role", "", role)
            plan.change("state", "", plan.values["state"])
            if person["status"] == UserStatus.INACTIVE:
                plan.notes.append(
                    "Enrolled silently: the person is inactive and gets access once reactivated."
                )
            self._refuse_deleted_person(plan, person)
            plan.settle(new=True)
            return
        plan.target, plan.seen = existing["id"], self.fingerprint(existing)
        plan.take_changes(existing, values)
        if state and state != existing["state"]:
            plan.status, plan.was = state, existing["state"]
            plan.change("state", existing["state"], state)
        self._refuse_deleted_person(plan, person)
        plan.settle(new=False)

    def _refuse_deleted_person(self, plan, person):
        if person["status"] == UserStatus.DELETED and plan.changes:
            plan.error(
                f"{person['username']} is deleted; their enrolments come back as they were "
                "when they are undeleted."
            )

    def apply(self, context: Context, plans: list[RowPlan]) -> dict[str, int]:
        states: dict[str, list[int]] = {}
        for plan in plans:
            if plan.target and plan.status:
                states.setdefault(plan.status, []).append(plan.target)
        outcome = services.enrollments_apply_import(
            **writes(plans),
            state=states,
            by=context.person,
            reason=context.reason,
        )
        return {
            "created": outcome.created,
            "updated": outcome.updated,
            "state changed": outcome.state_changed,
        }
