"""Streaming exports in CSV, XLSX and JSON, in constant memory, recorded in ExportRecord.

The formats are django-import-export's (content type, extension, availability); the rows
are written a chunk at a time rather than through a tablib Dataset, which would hold the
whole file in memory. XLSX is written as a streamed zip (the sheet as inline strings), so
a million rows never sit in memory or on disk.

A report hands over a `Source`: its headings, its rows and, on PostgreSQL, its query.
`export_stream` is the one way a file is written, for the download and the benchmark
alike; for CSV from a query it lets PostgreSQL write the body by COPY.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import chain, islice
from typing import Protocol
from xml.sax.saxutils import escape

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from import_export.formats import base_formats

from lms_admin.plumbing.cells import cell, display, needs_quote, neutralise
from reports.models import ExportFormat, ExportRecord

FORMATS = {
    ExportFormat.CSV: base_formats.CSV(),
    ExportFormat.XLSX: base_formats.XLSX(),
    ExportFormat.JSON: base_formats.JSON(),
}
ROWS_PER_CHUNK = 1000
# Values that `cell` leaves as they are, unless their text needs the quote: csv.writer can
# take rows of only these straight away (it writes None as "", as `display` does).
PLAIN_TYPES = frozenset({str, int, float, Decimal, type(None)})
# A cell that may need the quote, as csv.writer writes it: one starting (at the start of a
# line or after a comma, behind an opening quote when quoted) with a formula start, a quote
# or white space other than the line's end; or one ending in white space. False alarms
# (a match inside a quoted cell) are harmless: the chunk is then written the careful way.
NEEDS_QUOTE_IN_CSV = re.compile(r'(?:\A|[,\n])"?(?:[=+\-@\']|(?!\r\n)\s)|\s"?(?:,|\r\n|\Z)')


def file_name(report: str, fmt: str, *, detail: str = "", when: datetime | None = None) -> str:
    """e.g. inactive-users_acme_taken-2026-03-01-1405.csv: what it is and when it was taken."""
    taken = timezone.localtime(when or timezone.now()).strftime("%Y-%m-%d-%H%M")
    parts = [slugify(report)]
    if detail:
        parts.append(slugify(detail)[:60])
    parts.append(f"taken-{taken}")
    return "_".join(part for part in parts if part) + "." + FORMATS[fmt].get_extension()


def _chunks(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    rows = iter(rows)
    while chunk := list(islice(rows, ROWS_PER_CHUNK)):
        yield chunk


def _csv_chunk(chunk: list[tuple], cells: bool = False) -> str:
    """The chunk as csv.writer writes its cells. Rows of plain values of which none needs
    the quote are written as they are, which is several times faster than formatting every
    value in Python; so are rows that are `cells` already (what the PostgreSQL export
    queries return: quoting them again would double their quotes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if set(map(type, chain.from_iterable(chunk))) <= PLAIN_TYPES:
        writer.writerows(chunk)
        text = buffer.getvalue()
        if cells or not NEEDS_QUOTE_IN_CSV.search(text):
            return text
        buffer.seek(0)
        buffer.truncate()
    prepare = display if cells else cell
    writer.writerows([prepare(value) for value in row] for row in chunk)
    return buffer.getvalue()


def csv_head(headers) -> bytes:
    buffer = io.StringIO()
    # A byte-order mark, so that Excel reads names with accents as UTF-8.
    buffer.write("\ufeff")
    csv.writer(buffer).writerow([neutralise(h) for h in headers])
    return buffer.getvalue().encode()


def csv_stream(headers, rows, *, cells: bool = False) -> Iterator[bytes]:
    yield csv_head(headers)
    for chunk in _chunks(rows):
        yield _csv_chunk(chunk, cells).encode()


def csv_file(headers, rows) -> bytes:
    """A small CSV file (a few hundred rows at most) in one piece, cells made safe."""
    return b"".join(csv_stream(headers, rows))


def _json_value(value):
    if value.__class__ is str:  # most cells: the common case first, without display()
        return "'" + value if needs_quote(value) else value
    value = cell(value)
    return float(value) if isinstance(value, Decimal) else value


def _json_cell(value):
    value = display(value)
    return float(value) if isinstance(value, Decimal) else value


# One encoder for every row: json.dumps with options builds a new one on each call.
_JSON = json.JSONEncoder(ensure_ascii=False)


def json_stream(headers, rows, *, cells: bool = False) -> Iterator[bytes]:
    """A JSON array of objects keyed by the column headings, written row by row."""
    yield b"["
    first = True
    encode = _JSON.encode
    prepare = _json_cell if cells else _json_value
    for chunk in _chunks(rows):
        parts = []
        for row in chunk:
            record = dict(zip(headers, map(prepare, row), strict=True))
            parts.append(("\n" if first else ",\n") + encode(record))
            first = False
        yield "".join(parts).encode()
    yield b"\n]\n"


class _Pipe(io.RawIOBase):
    """A write-only stream whose bytes are collected and handed on: zipfile writes here."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self):
        return True

    def write(self, data):
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self):
        return self.position

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _xlsx_row(values, prepare=cell) -> str:
    cells = []
    for value in values:
        value = prepare(value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            cells.append(f"<c><v>{value}</v></c>")
        elif value == "":
            cells.append("<c/>")
        else:
            # Inline strings are text, never formulas; `neutralise` has run as well.
            text = _xml_text(value)
            cells.append(f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>')
    return "<row>" + "".join(cells) + "</row>"


def _xml_safe(text: str) -> str:
    # XML 1.0 forbids most control characters; drop them rather than write a broken file.
    # A carriage return is written as a reference: XML readers turn a bare one into a
    # line feed, and the cell would come back changed.
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)


def _xml_text(text: str) -> str:
    return escape(_xml_safe(text), {"\r": "&#13;"})


def xlsx_stream(headers, rows, *, sheet: str = "Report", cells: bool = False) -> Iterator[bytes]:
    prepare = display if cells else cell
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in XLSX_PARTS.items():
            archive.writestr(name, content.replace("{sheet}", escape(sheet[:31])))
        with archive.open("xl/worksheets/sheet1.xml", mode="w", force_zip64=True) as sheet_file:
            sheet_file.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>" + _xlsx_row(headers).encode()
            )
            for chunk in _chunks(rows):
                sheet_file.write("".join(_xlsx_row(row, prepare) for row in chunk).encode())
                yield pipe.take()
            sheet_file.write(b"</sheetData></worksheet>")
    yield pipe.take()


WRITERS = {ExportFormat.CSV: csv_stream, ExportFormat.JSON: json_stream}


def stream(
    fmt: str, headers, rows, *, sheet: str = "Report", cells: bool = False
) -> Iterator[bytes]:
    """The one writer of every file the app hands out: each cell made safe for
    spreadsheets (`neutralise`). `cells`: the rows are cells already, made safe by the
    database (`fast_rows.plain`); they are written as they are, not quoted twice."""
    if fmt == ExportFormat.XLSX:
        return xlsx_stream(headers, rows, sheet=sheet, cells=cells)
    return WRITERS[fmt](headers, rows, cells=cells)


class _Query(Protocol):
    """What a `Source` needs of its query (`reports.selectors.sql_export.Query`)."""

    def rows(self) -> Iterator[tuple]: ...

    def csv_body(self, finished: Callable[[int], None] | None = None) -> Iterator[bytes]: ...


@dataclass(frozen=True)
class Source:
    """What a report exports: its headings and its rows (the file's cells), read only when
    the file is written. `query`, on PostgreSQL, is where the rows come from; a CSV file
    is then written by the database (`fast_rows.copy_csv`), to the same bytes."""

    headers: Sequence[str]
    rows: Callable[[], Iterable[tuple]]
    query: _Query | None = None

    @classmethod
    def from_query(cls, headers, query: _Query | None) -> Source:
        if query is None:  # no row can match: an empty file, without asking the database
            return cls(headers, lambda: iter(()))
        return cls(headers, query.rows, query)


def export_stream(
    fmt: str,
    source: Source,
    *,
    sheet: str = "Report",
    finished: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The file's bytes, a chunk at a time. `finished(rows)` runs once, when the file is
    written to its end or abandoned, with the number of rows written (0 if it was
    abandoned before any: a generator closed before it started runs no `finally`)."""
    told = False

    def tell(count: int):
        nonlocal told
        told = True
        if finished is not None:
            finished(count)

    try:
        if fmt == ExportFormat.CSV and source.query is not None:
            yield csv_head(source.headers)
            yield from source.query.csv_body(tell)
            return
        rows = _counted(source.rows(), tell)
        try:
            cells = source.query is not None
            yield from stream(fmt, source.headers, rows, sheet=sheet, cells=cells)
        finally:
            # Close the rows now rather than when they are collected, so that their query
            # ends before the count is told.
            rows.close()
    finally:
        if not told:
            tell(0)


def _counted(rows: Iterable, finished: Callable[[int], None]) -> Iterator:
    count = 0
    rows = iter(rows)
    try:
        for row in rows:
            count += 1
            yield row
    finally:
        # An abandoned download leaves the rows half read: close them first, so that the
        # query's transaction (see `fast_rows.stream_rows`) ends before the record is saved.
        if hasattr(rows, "close"):
            rows.close()
        finished(count)


class _Closing:
    """The file's chunks, and `on_close` when the response is closed. A download abandoned
    before its first chunk closes a generator that never started, which runs no `finally`:
    without this its record would stay unfinished."""

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None]):
        self._chunks = chunks
        self._on_close = on_close

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        try:
            self._chunks.close()
        finally:
            self._on_close()


def export_response(
    *,
    person,
    report: str,
    fmt: str,
    filters: dict,
    detail: str = "",
    source: Source | None = None,
    headers=None,
    rows=None,
) -> StreamingHttpResponse:
    """Record the export, then stream it; the record learns the row count at the end.
    The file is `source`, or else `headers` and an iterable of `rows`."""
    if source is None:
        source = Source(headers, lambda: rows)
    name = file_name(report, fmt, detail=detail)
    record = ExportRecord.objects.create(
        user=person,
        username=person.get_username(),
        report=report,
        format=fmt,
        filters=filters,
        file_name=name,
    )

    def finished(count: int):
        if record.finished_at is not None:
            return
        record.rows = count
        record.finished_at = timezone.now()
        record.save(update_fields=["rows", "finished_at"])

    response = StreamingHttpResponse(
        _Closing(export_stream(fmt, source, sheet=report, finished=finished), lambda: finished(0)),
        content_type=FORMATS[fmt].get_content_type(),
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_download(file_name: str, headers: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A small one-time download (temporary passwords, say) through the same writer as
    every export: each cell made safe for spreadsheets, never cached."""
    response = HttpResponse(csv_file(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
