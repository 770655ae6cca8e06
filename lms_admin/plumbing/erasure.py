"""Finding and replacing a person's identifiers in free text, in every table of every app.

Erasure (users.services.erasure) rewrites the rows that belong to a person by key. What
others wrote about them (a reason quoting their email, an import row's message, a task's
arguments, an admin log line) can sit in any free-text column of any app, third-party ones
included, so this sweep reads the models from Django's registry instead of a list: a table
added later is reached without anyone remembering to add it here. It imports no app.

Free text is a TextField, a JSONField, a BinaryField (stored files) or a CharField of 100
characters or more without choices. Matching is case-insensitive and by whole identifier
("jo" does not match inside "john"), so an erasure never rewrites unrelated text.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Cast

# Shorter identifiers are not searched for in others' text: they would match words.
SHORTEST_SEARCHED = 3
BATCH = 500


@dataclass
class Touched:
    """One line of an erasure receipt: a table, the fields changed, how many rows."""

    table: str
    fields: list[str]
    rows: int
    action: str = "replaced with the pseudonym"

    def as_dict(self) -> dict:
        return {
            "table": self.table,
            "fields": self.fields,
            "rows": self.rows,
            "action": self.action,
        }


@dataclass
class Identifiers:
    """A person's former identifiers and what replaces them."""

    values: list[str]
    pseudonym: str
    _pattern: re.Pattern | None = field(default=None, repr=False)

    def __post_init__(self):
        found = {value.strip() for value in self.values if value and value.strip()}
        # JSON stored by SQLite escapes accents; look for that spelling too.
        found |= {json.dumps(value)[1:-1] for value in found}
        # Longest first, so an email is replaced whole before the username inside it.
        self.values = sorted(
            (value for value in found if len(value) >= SHORTEST_SEARCHED), key=len, reverse=True
        )
        if self.values:
            alternatives = "|".join(re.escape(value) for value in self.values)
            self._pattern = re.compile(rf"(?<![\w.]){'(?:' + alternatives + ')'}(?![\w])", re.I)

    def __bool__(self):
        return bool(self.values)

    def scrub(self, text: str) -> str:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(self.pseudonym, text)

    def mentioned_in(self, text: str) -> bool:
        return bool(text) and self._pattern is not None and bool(self._pattern.search(text))


def free_text_fields(model: type[models.Model]) -> list[models.Field]:
    found = []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.choices:
            continue
        if (
            isinstance(model_field, models.TextField | models.JSONField | models.BinaryField)
            or isinstance(model_field, models.CharField)
            and (model_field.max_length or 0) >= 100
        ):
            found.append(model_field)
    return found


def _scrub_value(value, identifiers: Identifiers):
    """The value with the identifiers replaced, or None when it does not mention them."""
    if isinstance(value, str):
        scrubbed = identifiers.scrub(value)
        return scrubbed if scrubbed != value else None
    if isinstance(value, bytes | memoryview):
        return _scrub_file(bytes(value), identifiers)
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False)
    scrubbed = identifiers.scrub(text)
    return json.loads(scrubbed) if scrubbed != text else None


# A stored file that cannot be rewritten (a spreadsheet) is removed instead.
FILE_REMOVED = b""


def _scrub_file(content: bytes, identifiers: Identifiers):
    if content.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                text = " ".join(
                    archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                )
        except zipfile.BadZipFile:
            text = content.decode("latin-1")
        return FILE_REMOVED if identifiers.mentioned_in(text) else None
    for encoding in ("utf-8", "latin-1"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        scrubbed = identifiers.scrub(text)
        return scrubbed.encode(encoding, "replace") if scrubbed != text else None
    return None


def _rows_mentioning(queryset: models.QuerySet, texts: list[models.Field], identifiers):
    """The keys of the rows whose text fields may mention an identifier (case-insensitive
    substrings: a superset, which Python then matches by whole identifier).

    On PostgreSQL each row's fields are joined and lower-cased once and every identifier is
    looked for in that one text: asking `UPPER(field) LIKE ...` per field and identifier
    converted a large import's stored plans a dozen times over (2.3 s for one person)."""
    if queryset.db and connections[queryset.db].vendor == "postgresql":
        names = [model_field.attname for model_field in texts]
        try:
            sql, params = queryset.order_by().values_list("pk", *names).query.sql_with_params()
        except EmptyResultSet:
            return []
        # The selected columns renamed in order: the query's own names may repeat or differ.
        columns = ", ".join(f"c{number}" for number in range(len(texts)))
        joined = ", ".join(f"c{number}::text" for number in range(len(texts)))
        found = " OR ".join(["strpos(text, lower(%s)) > 0"] * len(identifiers.values))
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(
                f"SELECT key FROM (SELECT key, lower(concat_ws(chr(31), {joined})) AS text"
                f" FROM ({sql}) AS chosen (key, {columns}) OFFSET 0) AS rows WHERE {found}",
                [*params, *identifiers.values],
            )
            return [row[0] for row in cursor.fetchall()]
    condition, annotations = Q(), {}
    for model_field in texts:
        name = model_field.name
        if isinstance(model_field, models.JSONField):
            name = f"_erasure_{model_field.name}"
            annotations[name] = Cast(model_field.name, models.TextField())
        for value in identifiers.values:
            condition |= Q(**{f"{name}__icontains": value})
    return queryset.annotate(**annotations).filter(condition).order_by().values("pk")


def scrub_rows(
    queryset: models.QuerySet, fields: Iterable[models.Field], identifiers: Identifiers
) -> Touched | None:
    """Replace the identifiers in `fields` of the rows of `queryset` that mention them.

    The database narrows the rows (one pass, every field and identifier OR'ed); Python
    replaces whole identifiers only, and each changed row is updated by its key."""
    fields = list(fields)
    if not identifiers or not fields:
        return None
    model = queryset.model
    binary = [f for f in fields if isinstance(f, models.BinaryField)]
    texts = [f for f in fields if not isinstance(f, models.BinaryField)]
    matches = queryset.model.objects.none()
    if texts:
        matches = model.objects.filter(pk__in=_rows_mentioning(queryset, texts, identifiers))
    if binary:
        # Stored files live only until their job ends: few rows, read and checked here.
        files = Q()
        for model_field in binary:
            files |= Q(**{f"{model_field.name}__isnull": False})
        files_qs = queryset.filter(files)
        matches = queryset.filter(Q(pk__in=matches.values("pk")) | Q(pk__in=files_qs.values("pk")))
    names = [model_field.attname for model_field in fields]
    changed_fields: set[str] = set()
    rows = 0
    pks = list(matches.order_by().values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        batch = model.objects.filter(pk__in=pks[start : start + BATCH]).only("pk", *names)
        updates = []
        for instance in batch:
            touched = []
            for model_field in fields:
                scrubbed = _scrub_value(getattr(instance, model_field.attname), identifiers)
                if scrubbed is None:
                    continue
                if scrubbed == FILE_REMOVED:
                    scrubbed = None if model_field.null else b""
                setattr(instance, model_field.attname, scrubbed)
                touched.append(model_field.attname)
            if touched:
                changed_fields.update(touched)
                updates.append(instance)
        if updates:
            # A queryset update: no save signals, so no history row repeats what was erased.
            model.objects.bulk_update(updates, sorted(changed_fields))
            rows += len(updates)
    if not rows:
        return None
    return Touched(model._meta.db_table, sorted(changed_fields), rows)


def sweep_free_text(
    identifiers: Identifiers,
    *,
    skip: dict[str, set[str]],
    narrowed: dict[str, models.QuerySet] | None = None,
) -> list[Touched]:
    """Every free-text field of every installed model, but those in `skip` ({table:
    {column, ...}}, rewritten by key by the caller), scrubbed of the identifiers. A table in
    `narrowed` is searched only in the rows of its queryset (a history table of millions of
    rows, searched in the rows about the person, by an index)."""
    narrowed = narrowed or {}
    touched = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        table = model._meta.db_table
        skipped = skip.get(table, set())
        if "*" in skipped:
            continue
        fields = [f for f in free_text_fields(model) if f.column not in skipped]
        rows = narrowed.get(table, model._default_manager.all())
        found = scrub_rows(rows, fields, identifiers)
        if found:
            touched.append(found)
    return touched
