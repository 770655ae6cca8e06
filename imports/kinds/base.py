"""What every kind of import shares: file layouts, row plans, and the checks on columns.

A kind reads rows in batches (one lookup query per batch, never one per row), and turns
each row into a `RowPlan`: new, updated, status change, unchanged or error, with the field
changes it would make. The plans are the preview; applying them is the kind's `apply`,
which hands them to the services in one transaction.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from imports.models import RowOutcome
from imports.reading import trimmed
from lms_admin.plumbing.cells import display_text, read_yes_no


@dataclass(slots=True)
class RowPlan:
    line: int
    key: str
    outcome: str = RowOutcome.UNCHANGED
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    # What applying the row writes: the existing object's id, its new field values (all of
    # them for a new object), and a status or state to move it to.
    target: int | None = None
    values: dict = field(default_factory=dict)
    status: str | None = None
    # A course's new enrolment method ("manual" or "everyone"), which enrols people when
    # it becomes "everyone": applied apart from the course's other fields.
    enrollment_method: str | None = None
    # The status or state the object had, when `status` moves it.
    was: str | None = None
    # A fingerprint of the object as the preview saw it: applying refuses if it changed.
    seen: str | None = None

    def error(self, message: str) -> None:
        self.errors.append(message)

    def change(self, label: str, old, new) -> None:
        self.changes.append(
            [
                label,
                old if type(old) is str else display_text(old),
                new if type(new) is str else display_text(new),
            ]
        )

    def take_changes(self, existing: dict, values: dict) -> None:
        """Keep and show each of `values` that differs from the existing object's (None
        leaves a field as it is)."""
        for name, value in values.items():
            if value is not None and not same_moment(existing[name], value):
                self.values[name] = value
                self.change(name, existing[name], value)

    def settle(self, *, new: bool) -> RowPlan:
        if self.errors:
            self.outcome = RowOutcome.ERROR
        elif new:
            self.outcome = RowOutcome.NEW
        elif self.status is not None or self.enrollment_method is not None:
            self.outcome = RowOutcome.STATUS
        elif self.changes:
            self.outcome = RowOutcome.UPDATED
        else:
            self.outcome = RowOutcome.UNCHANGED
        return self

    @property
    def messages(self) -> list[str]:
        return [*self.errors, *self.notes]

    @property
    def acts(self) -> bool:
        return self.outcome in (RowOutcome.NEW, RowOutcome.UPDATED, RowOutcome.STATUS)

    def stored(self) -> dict | None:
        """What applying needs, kept with the preview's row; None for rows that do nothing."""
        if not self.acts:
            return None
        return {
            "line": self.line,
            "outcome": self.outcome,
            "target": self.target,
            "values": self.values,
            "status": self.status,
            "enrollment_method": self.enrollment_method,
            "was": self.was,
            "seen": self.seen,
        }

    @classmethod
    def restored(cls, data: dict, converters: dict) -> RowPlan:
        """A stored plan back as a RowPlan; `converters` turn JSON text back into dates,
        times and decimals (see `converters_for`)."""
        values = data["values"]
        for name in converters.keys() & values.keys():
            values[name] = converters[name](values[name])
        return cls(
            line=data["line"],
            key="",
            outcome=data["outcome"],
            target=data["target"],
            values=values,
            status=data["status"],
            enrollment_method=data.get("enrollment_method"),
            was=data["was"],
            seen=data["seen"],
        )


def writes(plans: list[RowPlan]) -> dict:
    """What applying these plans writes, as the `*_apply_import` services take it: the new
    objects' values, and the existing ones' changed fields by id."""
    return {
        "create": [plan.values for plan in plans if plan.outcome == RowOutcome.NEW],
        "update": {
            plan.target: plan.values
            for plan in plans
            if plan.outcome != RowOutcome.NEW and plan.values
        },
    }


def converters_for(model) -> dict:
    """Field -> how its JSON form becomes a Python value, for fields that are not text."""
    kinds = (models.DateField, models.DecimalField)
    return {
        name: field.to_python
        for field in model._meta.concrete_fields
        if isinstance(field, kinds)
        for name in {field.name, field.attname}
    }


@dataclass(frozen=True)
class Layout:
    """One way a file can be laid out: our own export format, or a Canvas SIS file."""

    name: str
    # File column -> the name the kind works with.
    columns: dict[str, str]
    required: tuple[str, ...]
    # Columns our exports write for reference, which an import reads past quietly.
    read_only: tuple[str, ...] = ()
    # Columns that only this layout has, so a file can be recognised by its headings.
    signature: tuple[str, ...] = ()
    # Groups of columns of which at least one must be present, e.g. a user's SIS id or
    # username.
    one_of: tuple[tuple[str, ...], ...] = ()


class Kind:
    name = ""
    label = ""
    model = None
    # The fields whose values a row's plan depends on: if any of them changes between the
    # preview and the confirmation, the import is refused.
    state_fields: tuple[str, ...] = ()
    # What a person needs to import this kind: Django permission codenames.
    permissions: tuple[str, ...] = ()
    layouts: tuple[Layout, ...] = ()
    batch_size = 2000
    # Whether a file may be checked and applied in one pass when nothing in it needs
    # confirming (engine.one_pass): planning a batch must then not depend on what applying
    # the batches before it changed, beyond what `settles_in_one_pass` lets through.
    one_pass = False

    def settles_in_one_pass(self, plan: RowPlan) -> bool:
        """Whether the row can be applied without a person seeing the preview first: a new
        object or nothing to do; anything else (an error, a status change) is shown first."""
        return plan.outcome in (RowOutcome.NEW, RowOutcome.UNCHANGED)

    def choose_layout(self, names: list[str]) -> Layout:
        for layout in self.layouts:
            if layout.signature and any(name in names for name in layout.signature):
                return layout
        return next(layout for layout in self.layouts if not layout.signature)

    def check_columns(self, names: list[str], layout: Layout) -> tuple[list[str], list[str]]:
        """File-level errors (missing columns) and notes (columns that are ignored)."""
        errors, notes = [], []
        missing = [column for column in layout.required if column not in names]
        if missing:
            errors.append(
                f"Missing required column{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)}. The first row must name the columns of a "
                f"{layout.name} file."
            )
        for group in layout.one_of:
            if not any(column in names for column in group):
                errors.append(f"The file needs at least one of these columns: {', '.join(group)}.")
        ignored = [
            name for name in names if name not in layout.columns and name not in layout.read_only
        ]
        if ignored:
            notes.append(f"These columns are not imported and were ignored: {', '.join(ignored)}.")
        read_only = [name for name in names if name in layout.read_only]
        if read_only:
            notes.append(
                f"These columns are for reference and are never imported: {', '.join(read_only)}."
            )
        return errors, notes

    def translator(self, layout: Layout, names: list[str]):
        """`translate` for the records of one file, whose columns are all `names`: which
        columns to read is worked out once, not once per row."""
        pairs = [(column, inner) for column, inner in layout.columns.items() if column in names]

        def translate(record: dict[str, str]) -> dict[str, str]:
            return {inner: trimmed(record[column] or "") for column, inner in pairs}

        return translate

    def translate(self, record: dict[str, str], layout: Layout) -> dict[str, str]:
        """The row with the layout's column names turned into the kind's own names."""
        return {
            internal: trimmed(record.get(column) or "")
            for column, internal in layout.columns.items()
            if column in record
        }

    def plan(self, context, records: list[tuple[int, dict[str, str]]]) -> list[RowPlan]:
        raise NotImplementedError

    def apply(self, context, plans: list[RowPlan]) -> dict[str, int]:
        """Write one batch of planned rows through the services; returns what it did."""
        raise NotImplementedError

    def fingerprint(self, row: dict) -> str:
        return self.fingerprint_of(tuple(row[name] for name in self.state_fields))

    @staticmethod
    def fingerprint_of(values: tuple) -> str:
        """The fingerprint of the `state_fields` values, in that order."""
        return hashlib.md5(repr(values).encode(), usedforsecurity=False).hexdigest()

    def unchanged_since_preview(self, plans: list[RowPlan]) -> bool:
        """Lock the objects these plans change, and check they are as the preview saw them."""
        seen = {plan.target: plan.seen for plan in plans if plan.target is not None}
        if not seen:
            return True
        # Tuples, not dicts: the same values in the same order as `fingerprint` reads them.
        position = self.state_fields.index("id")
        current = {
            row[position]: self.fingerprint_of(row)
            for row in self.model.objects.filter(id__any_of=list(seen))
            .select_for_update()
            .values_list(*self.state_fields)
        }
        return all(current.get(target) == print_ for target, print_ in seen.items())


class Duplicates:
    """Notices the same key on two rows of one file, and marks both rows.

    Only the first line of each key is kept, not the rows: files are planned a batch at a
    time. The earlier row's error is handed to `late`, for the engine to add to that row.
    """

    def __init__(self, what: str, late: dict[int, list[str]]):
        self.what = what
        self.first: dict[str, int] = {}
        self.late = late

    def check(self, value: str, plan: RowPlan) -> bool:
        """True when the value was already on an earlier row."""
        if not value:
            return False
        key = value.casefold()
        earlier = self.first.get(key)
        if earlier is None:
            self.first[key] = plan.line
            return False
        plan.error(f"The {self.what} {value} is also on row {earlier}.")
        message = f"The {self.what} {value} is also on row {plan.line}."
        messages = self.late.setdefault(earlier, [])
        if not messages:
            messages.append(message)
        return True


# Cleaning single cells ------------------------------------------------------------------


def clean_yes_no(value: str, plan: RowPlan, column: str) -> bool | None:
    if value == "":
        return None
    answer = read_yes_no(value)
    if answer is None:
        plan.error(f"{column} must be yes or no, not “{value}”.")
    return answer


# Django's own email patterns, compiled once: its validator compiles them lazily and pays
# for that indirection on every call, which shows at 100,000 rows.
USER_PART = re.compile(EmailValidator.user_regex.pattern, re.IGNORECASE)
DOMAIN_PART = re.compile(EmailValidator.domain_regex.pattern, re.IGNORECASE)


def valid_email(value: str) -> bool:
    local, _, domain = value.rpartition("@")
    if len(value) <= 320 and USER_PART.match(local) and DOMAIN_PART.match(domain):
        return True
    try:
        validate_email(value)  # the rarer forms: IP literals, localhost, IDN domains
    except ValidationError:
        return False
    return True


def clean_email(value: str, plan: RowPlan) -> str:
    if not value:
        return ""
    if not valid_email(value):
        plan.error(f"“{value}” is not a valid email address.")
        return ""
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_length(value: str, plan: RowPlan, column: str, limit: int) -> str:
    if len(value) > limit:
        plan.error(f"{column} is {len(value)} characters long; at most {limit} fit.")
        return value[:limit]
    return value


def clean_date(value: str, plan: RowPlan, column: str) -> date | None:
    if not value:
        return None
    parsed = None
    try:
        parsed = parse_date(value[:10])
    except ValueError:
        parsed = None
    if parsed is None:
        plan.error(f"{column} “{value}” is not a date; write it as YYYY-MM-DD.")
    return parsed


def clean_datetime(value: str, plan: RowPlan, column: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace("Z", "+00:00")) or (
            parse_date(value) and datetime.combine(parse_date(value), datetime.min.time())
        )
    except ValueError:
        parsed = None
    if not parsed:
        plan.error(f"{column} “{value}” is not a date and time; write YYYY-MM-DD HH:MM:SS.")
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed.replace(microsecond=0)


def clean_score(value: str, plan: RowPlan) -> Decimal | None:
    if not value:
        return None
    try:
        score = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        plan.error(f"score “{value}” is not a number.")
        return None
    if score < 0 or score >= Decimal("10000"):
        plan.error(f"score {value} is out of range (0 to 9999.99).")
        return None
    return score


def same_moment(a, b) -> bool:
    """Files hold whole seconds; a stored time with microseconds is the same moment."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.replace(microsecond=0) == b.replace(microsecond=0)
    return a == b


# The statuses of a Canvas courses.csv or sections.csv row that keep it.
CANVAS_LIVE = {"active", "published", "completed", "concluded", "unpublished"}


def refuse_deleted(
    row: dict, plan: RowPlan, what: str, *, live=CANVAS_LIVE, use="active or completed"
) -> None:
    """An import never deletes: a row whose Canvas status is "deleted" is an error."""
    status = row.get("status", "").casefold()
    if status == "deleted":
        plan.error(f"An import never deletes {what}; leave this row out of the file.")
    elif status and status not in live:
        plan.error(f"Unknown status “{row['status']}”. Use {use}.")


FORMULA_FIRST = frozenset("=+@")


# A cell that may begin like a formula: one search over the row's joined cells, each after
# a separator, finds the rare rows worth a closer look (a separator inside a cell only
# brings a false alarm). The pattern starts with a plain character, which the regular
# expression engine scans for quickly; an alternative with "^" is tried at every position.
MAYBE_FORMULA = re.compile(r"\x1f[=+@]")


def formula_notes(record: dict[str, str], plan: RowPlan) -> None:
    if not MAYBE_FORMULA.search("\x1f" + "\x1f".join(record.values())):
        return
    if not any(value[:1] in FORMULA_FIRST for value in record.values()):
        return
    for column, value in record.items():
        if value[:1] in FORMULA_FIRST and len(value) > 1:
            plan.notes.append(
                f"{column} begins like a spreadsheet formula; it is kept as plain text "
                "and never calculated."
            )


@dataclass
class Context:
    """Who imports, into which organisation, and what the file's words mean."""

    person: object
    # Organisation ids the person may touch, or None for all (plumbing.scoping.EVERYTHING).
    scope: set[int] | None
    # The organisation chosen for the file: new people go there, rows are checked against it.
    organisation: object | None
    reason: str
    now: datetime = field(default_factory=timezone.now)
    # How new people get their first way in (users.services.SIGN_IN_CHOICES).
    new_people_sign_in: str = ""
    # Anything a kind keeps across batches (duplicate finders, lookups).
    memory: dict = field(default_factory=dict)
    # Errors found for rows of earlier batches: line -> messages.
    late: dict = field(default_factory=dict)

    def in_scope(self, organisation_id) -> bool:
        return self.scope is None or organisation_id in self.scope

    def duplicates(self, what: str) -> Duplicates:
        return self.remember(f"duplicates:{what}", lambda: Duplicates(what, self.late))

    def remember(self, name: str, factory):
        if name not in self.memory:
            self.memory[name] = factory()
        return self.memory[name]


def unavailable(what: str) -> str:
    """The one refusal for an identifier an importer cannot use, whether nobody has it or
    someone outside their organisation does: the two read the same, so a file cannot look
    people up in other organisations (SIS ids run in sequence)."""
    return f"The {what} is not available."


class Organisations:
    """Organisations by SIS account ID or short name (slug), read once per import."""

    def __init__(self):
        from users.models import Organisation

        self.by_key: dict[str, tuple[int, str]] = {}
        self.names: dict[int, str] = {}
        for pk, name, slug, sis in Organisation.objects.values_list(
            "id", "name", "slug", "sis_account_id"
        ):
            self.names[pk] = name
            self.by_key.setdefault(slug.casefold(), (pk, name))
            if sis:
                self.by_key[sis.casefold()] = (pk, name)

    def find(self, value: str, plan: RowPlan, context: Context) -> int | None:
        """The organisation a cell names, or None with an error on the row."""
        found = self.by_key.get(value.casefold())
        if found is None or not context.in_scope(found[0]):
            if context.scope is not None:
                plan.error(
                    f"“{value}” is not your organisation. You can import only into your "
                    "own organisation and its sub-organisations."
                )
            else:
                plan.error(f"No organisation has the SIS account ID or short name “{value}”.")
            return None
        return found[0]

    def name(self, pk: int | None) -> str:
        return self.names.get(pk, "no organisation") if pk else "no organisation"
