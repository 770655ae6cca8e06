"""The change log: every history row of every tracked model, newest first, with the fields
that changed (old -> new), who changed them and why.

Each model's history is its own table, so a page takes the next rows from each table after
the cursor and merges them; an export merges per-table streams the same way.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse

from enrollments.models import Certificate, Course, Enrollment, EnrollmentTerm, Section
from lms_admin.plumbing.bulk import is_postgresql
from lms_admin.plumbing.cells import cell, display
from lms_admin.plumbing.counting import REPORT_COUNT_CAP, capped_counts
from lms_admin.plumbing.scoping import scoped_by
from reports.exports import Source
from reports.selectors.changes_sql import change_query, writes_changes_of
from users.models import AccessToken, Organisation, Segment, SegmentMembership, User

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}
# Fields whose changes say nothing to a reader of the log.
QUIET_FIELDS = {"updated_at", "last_used_at"}
# Fields never shown, even if a history table held them: a token's secret stays secret.
SECRET_FIELDS = {"key_digest", "password"}
HEADERS = ("When", "Changed by", "Action", "What", "Object", "Object ID", "Changes", "Why")


def _label_user(row):
    return row.username


def _label_enrollment(row):
    user = getattr(row.user, "username", f"user #{row.user_id}")
    course = getattr(row.course, "code", f"course #{row.course_id}")
    return f"{user} in {course}"


def _label_token(row):
    user = getattr(row.user, "username", f"user #{row.user_id}")
    return f"{row.purpose or 'Token'} …{row.hint} of {user}"


def _label_membership(row):
    user = getattr(row.user, "username", f"user #{row.user_id}")
    segment = getattr(row.segment, "name", f"segment #{row.segment_id}")
    return f"{user} in {segment}"


@dataclass(frozen=True)
class Tracked:
    key: str
    label: str
    model: type
    describe: object
    related: tuple = ()
    # The history row's path to the person it is about; None: it is about no one person.
    person_path: str | None = None

    @property
    def history(self):
        return self.model.history.model


TRACKED_MODELS = {
    spec.key: spec
    for spec in (
        Tracked("user", "User", User, _label_user, person_path="id"),
        Tracked(
            "enrollment",
            "Enrolment",
            Enrollment,
            _label_enrollment,
            ("user", "course"),
            person_path="user_id",
        ),
        Tracked(
            "certificate",
            "Certificate",
            Certificate,
            lambda row: row.verification_code,
            person_path="enrollment__user_id",
        ),
        Tracked("course", "Course", Course, lambda row: row.code),
        Tracked("section", "Section", Section, lambda row: row.name),
        Tracked("organisation", "Organisation", Organisation, lambda row: row.name),
        Tracked("segment", "Segment", Segment, lambda row: row.name),
        Tracked(
            "segmentmembership",
            "Segment membership",
            SegmentMembership,
            _label_membership,
            ("user", "segment"),
            person_path="user_id",
        ),
        Tracked(
            "accesstoken", "API token", AccessToken, _label_token, ("user",), person_path="user_id"
        ),
        Tracked("term", "Term", EnrollmentTerm, lambda row: row.name),
    )
}
# Ties on history_date are broken by table, then by history id: a total order for cursors.
ORDER = {key: index for index, key in enumerate(TRACKED_MODELS)}


@dataclass
class Change:
    when: datetime
    actor: str
    action: str
    what: str
    object_label: str
    object_id: int
    changes: list[tuple[str, str, str]]
    why: str
    key: str
    history_id: int

    def sort_key(self):
        # heapq.merge wants ascending keys; the log runs newest first.
        return (-self.when.timestamp(), -ORDER[self.key], -self.history_id)

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{name}: {old} → {new}" for name, old, new in self.changes)

    def row(self) -> tuple:
        return (
            self.when,
            self.actor,
            self.action,
            self.what,
            self.object_label,
            self.object_id,
            self.changes_text,
            self.why,
        )


def _history(spec: Tracked, filters: dict, person) -> QuerySet:
    rows = scoped_by(spec.history.objects.all(), person, spec.model)
    if filters.get("actor"):
        rows = rows.filter(history_user_id=filters["actor"].pk)
    if filters.get("person"):
        if spec.person_path is None:
            return rows.none()
        rows = rows.filter(**{spec.person_path: filters["person"].pk})
    if filters.get("object_id"):
        rows = rows.filter(id=int(filters["object_id"]))
    if filters.get("action"):
        rows = rows.filter(history_type=filters["action"])
    if filters.get("date_from"):
        from reports.selectors.analytics import start_of

        rows = rows.filter(history_date__gte=start_of(filters["date_from"]))
    if filters.get("date_to"):
        from reports.selectors.analytics import end_of

        rows = rows.filter(history_date__lt=end_of(filters["date_to"]))
    return rows


def _with_previous(spec: Tracked, rows: QuerySet) -> QuerySet:
    history = spec.history
    earlier = history.objects.filter(id=OuterRef("id")).filter(
        Q(history_date__lt=OuterRef("history_date"))
        | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
    )
    previous = earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
    return rows.select_related("history_user", *spec.related).annotate(
        previous_id=Subquery(previous)
    )


def _field_names(spec: Tracked) -> list:
    skip = {"history_id", "history_date", "history_change_reason", "history_type"}
    return [
        field
        for field in spec.history._meta.concrete_fields
        if field.name not in skip
        and field.name != "history_user"
        and field.name != "id"
        and field.name not in QUIET_FIELDS
        and field.name not in SECRET_FIELDS
    ]


class Shown(str):
    """A value as the log writes it. On the page it links to its object when `url` is
    set; files keep the text."""

    url: str | None = None


def _linked(text: str, url: str | None) -> Shown:
    shown = Shown(text)
    shown.url = url
    return shown


def _admin_url(model, pk) -> str | None:
    opts = model._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    except NoReverseMatch:
        return None


# How a row that another row points at is named: (rows to read, its name).
NAMED = {
    User: (lambda rows: rows, lambda user: user.username),
    Enrollment: (
        lambda rows: rows.select_related("user", "course"),
        lambda row: f"{row.user.username} in {row.course.code}",
    ),
    Course: (lambda rows: rows, lambda course: course.code),
}


def _names(model, ids, person) -> dict[int, Shown]:
    """{id: name linked to its page} for the rows of `model` among `ids` that the person
    may see, in one query. Others (out of scope, or since purged) are left out and read
    as a bare number: out of scope and nonexistent look the same."""
    rows_of, name_of = NAMED.get(model, (lambda rows: rows, str))
    rows = rows_of(model.objects.for_user(person).filter(pk__in=ids))
    return {row.pk: _linked(name_of(row), _admin_url(model, row.pk)) for row in rows}


def _show(field, value, names: dict | None = None) -> str:
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return (names or {}).get(field.related_model, {}).get(value) or f"#{value}"
    if isinstance(value, datetime):
        return display(value)
    return str(value)


def _diff(spec: Tracked, row, previous, names: dict) -> list[tuple[str, str, str]]:
    fields = _field_names(spec)
    if row.history_type == "+" or previous is None:
        return (
            [
                (str(field.verbose_name), "—", _show(field, getattr(row, field.attname), names))
                for field in fields
                if getattr(row, field.attname) not in (None, "", False)
            ]
            if row.history_type == "+"
            else []
        )
    if row.history_type == "-":
        return []
    changes = []
    for field in fields:
        old, new = getattr(previous, field.attname), getattr(row, field.attname)
        if old != new:
            changes.append(
                (str(field.verbose_name), _show(field, old, names), _show(field, new, names))
            )
    return changes


def _related_names(spec: Tracked, rows: list, person) -> dict:
    """The names of every object these history rows point at (and of the objects
    themselves), one query per kind of object: {model: {id: name}}."""
    wanted: dict = {spec.model: {row.id for row in rows}}
    for field in _field_names(spec):
        if field.is_relation:
            ids = wanted.setdefault(field.related_model, set())
            ids.update(getattr(row, field.attname) for row in rows)
    return {model: _names(model, ids - {None}, person) for model, ids in wanted.items() if ids}


def _changes(spec: Tracked, rows: list, person) -> list[Change]:
    previous_ids = [row.previous_id for row in rows if row.previous_id]
    previous = {p.history_id: p for p in spec.history.objects.filter(history_id__in=previous_ids)}
    names = _related_names(spec, [*rows, *previous.values()], person)
    objects = names.get(spec.model, {})
    changes = []
    for row in rows:
        actor = row.history_user.get_full_name() if row.history_user else "System"
        changes.append(
            Change(
                when=row.history_date,
                actor=actor,
                action=ACTIONS.get(row.history_type, row.history_type),
                what=spec.label,
                object_label=_linked(
                    spec.describe(row), objects[row.id].url if row.id in objects else None
                ),
                object_id=row.id,
                changes=_diff(spec, row, previous.get(row.previous_id), names),
                why=row.history_change_reason or "",
                key=spec.key,
                history_id=row.history_id,
            )
        )
    return changes


def _chosen(filters: dict) -> list[Tracked]:
    if filters.get("object_type"):
        return [TRACKED_MODELS[filters["object_type"]]]
    return list(TRACKED_MODELS.values())


def _after(spec: Tracked, cursor) -> Q:
    when, key_order, history_id = cursor
    mine = ORDER[spec.key]
    if mine < key_order:
        return Q(history_date__lte=when)
    if mine > key_order:
        return Q(history_date__lt=when)
    return Q(history_date__lt=when) | Q(history_date=when, history_id__lt=history_id)


def _ordered(rows: QuerySet) -> QuerySet:
    return rows.order_by(F("history_date").desc(), F("history_id").desc())


def change_page(*, person, filters: dict, cursor=None, size: int = PAGE_SIZE):
    """One page of the log and the cursor of the next: `size + 1` rows per table at most."""
    found: list[Change] = []
    for spec in _chosen(filters):
        rows = _history(spec, filters, person)
        if cursor:
            rows = rows.filter(_after(spec, cursor))
        found += _changes(spec, list(_with_previous(spec, _ordered(rows))[: size + 1]), person)
    found.sort(key=Change.sort_key)
    page, more = found[:size], len(found) > size
    last = page[-1] if page else None
    next_cursor = (last.when, ORDER[last.key], last.history_id) if more and last else None
    return page, next_cursor


def change_count(*, person, filters: dict, cap: int = REPORT_COUNT_CAP) -> int:
    """How many changes, counting no further than cap + 1: one capped count per table, in
    one statement."""
    tables = {spec.key: _history(spec, filters, person) for spec in _chosen(filters)}
    return min(sum(capped_counts(tables, cap).values()), cap + 1)


def _stream(spec: Tracked, filters: dict, person) -> Iterator[Change]:
    """One table's rows, newest first, fetched by keyset so memory stays flat."""
    base = _history(spec, filters, person)
    cursor = None
    while True:
        rows = base.filter(_after(spec, cursor)) if cursor else base
        batch = list(_with_previous(spec, _ordered(rows))[:EXPORT_CHUNK])
        if not batch:
            return
        yield from _changes(spec, batch, person)
        last = batch[-1]
        cursor = (last.history_date, ORDER[spec.key], last.history_id)


def change_export(*, person, filters: dict, limit: int | None = None) -> Source:
    """The log's file, newest first, read only as it is written, in constant memory: the
    download's and the benchmark's. `limit` keeps only the first rows (for the benchmark).

    PostgreSQL builds the rows in one query (`changes_sql`), and writes a CSV file itself;
    elsewhere, or for a table with a field the SQL cannot write, each table is read here
    by keyset and merged.
    """
    chosen = _chosen(filters)
    if is_postgresql() and all(writes_changes_of(_field_names(spec)) for spec in chosen):
        branches = [
            (spec, ORDER[spec.key], _history(spec, filters, person), _field_names(spec), ACTIONS)
            for spec in chosen
        ]
        query = change_query(branches, columns=len(HEADERS), limit=limit)
        return Source.from_query(HEADERS, query)
    return Source(HEADERS, lambda: islice(_change_rows_from_models(chosen, filters, person), limit))


def change_rows(*, person, filters: dict) -> Iterator[tuple]:
    """Every row of the log as the file's cells, streamed: the query's rows are cells
    already; rows read from the models are made cells as the file's writer makes them."""
    source = change_export(person=person, filters=filters)
    if source.query is not None:
        return iter(source.rows())
    return (tuple(cell(value) for value in row) for row in source.rows())


def _change_rows_from_models(chosen, filters: dict, person) -> Iterator[tuple]:
    streams = [_stream(spec, filters, person) for spec in chosen]
    for change in heapq.merge(*streams, key=Change.sort_key):
        yield change.row()
