"""Reading an uploaded file into column names and rows of text, or saying clearly why not.

django-import-export's formats read a whole file into a tablib Dataset, refuse ragged rows
without saying which row, and read XLSX with `data_only=True`, which hands over the value a
spreadsheet last computed instead of the formula that was typed. Here CSV is read row by
row with the standard library (any of , ; or tab as separator), XLSX with openpyxl in
read-only mode keeping formulas as the text they are, and JSON as a list of objects.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from lms_admin.plumbing.cells import Verbatim, unneutralise

FORMATS = ("csv", "xlsx", "json")
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json"}
ENCODINGS = {"utf-8": "UTF-8 (with or without BOM)", "latin-1": "Latin-1 / Windows-1252"}
SIGNATURES = {
    b"PK\x03\x04": "an Excel (XLSX) or other zipped file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel (XLS) or Word file",
}


class FileProblem(Exception):
    """The file cannot be read at all; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    headers: list[str]
    # Column names as matched: lower case, spaces as underscores ("To be deleted").
    names: list[str]
    # (row number as a spreadsheet shows it, cells as text), blank rows left out. Read as
    # they are used, so that a large file is never held in memory twice.
    rows: Iterator[tuple[int, list[str]]]
    # About how many rows there are: for progress bars.
    count: int = 0
    notes: list[str] = field(default_factory=list)

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        width = len(self.names)
        for line, cells in self.rows:
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            yield line, dict(zip(self.names, cells, strict=False))


def column_name(header) -> str:
    return "_".join(str(header or "").strip().lower().replace("-", " ").split())


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def detect_format(file_name: str, requested: str | None = None) -> str:
    if requested:
        if requested not in FORMATS:
            raise FileProblem(f"Unknown format “{requested}”. Choose CSV, XLSX or JSON.")
        return requested
    name = file_name.lower()
    for extension, fmt in EXTENSIONS.items():
        if name.endswith(extension):
            return fmt
    raise FileProblem(
        f"{file_name} is not a CSV, XLSX or JSON file. Save the spreadsheet as CSV (UTF-8) "
        "or Excel workbook (.xlsx) and upload that."
    )


def check_size(size: int) -> None:
    if size > max_bytes():
        raise FileProblem(
            f"The file is {filesizeformat(size)}; files up to {filesizeformat(max_bytes())} "
            "can be imported. Split it into smaller files and import them one after another."
        )


def _text(value) -> str:
    """A cell as text: numbers without a spurious .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time | Decimal | int | float):
        return value.isoformat() if isinstance(value, date) else str(value)
    # Our exports put a quote before formula-like text (reports.exports, "Escaping,
    # reversibly"); take it off again on the way in, keeping the text exactly.
    return unneutralise(str(value))


def trimmed(cell: str) -> str:
    """A cell without white space at either end, unless it was quoted to keep it."""
    return cell if type(cell) is Verbatim else cell.strip()


def _plain_text(cells) -> bool:
    """True when every cell is already text that needs no conversion (most CSV rows)."""
    return all(type(cell) is str and not cell.startswith("'") for cell in cells)


def with_article(word: str) -> str:
    """ "a CSV", "an XLSX", "a JSON": the article as the word is said, letter by letter
    for an abbreviation."""
    sounds_like_vowel = (
        word[:1].upper() in "AEFHILMNORSX" if word.isupper() else word[:1] in "aeiou"
    )
    return f"{'an' if sounds_like_vowel else 'a'} {word}"


def _refuse_binary(content: bytes, expected: str) -> None:
    for signature, what in SIGNATURES.items():
        if content.startswith(signature):
            raise FileProblem(
                f"This is {what}, not {with_article(expected)} file. Save it as {expected} "
                "and try again."
            )
    if b"\x00" in content[:8192]:
        raise FileProblem(f"This is not {with_article(expected)} file: it contains binary data.")


def decode(content: bytes, encoding: str) -> str:
    if encoding == "latin-1":
        # Windows-1252 is what Excel writes as "Latin-1"; it is a superset for text.
        return content.decode("cp1252", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        bad = content[error.start : error.start + 1].hex().upper()
        hint = ""
        try:
            sample = content[max(0, error.start - 20) : error.start + 20].decode("cp1252")
            hint = (
                " It looks like Latin-1 (Windows-1252), which Excel uses for plain “CSV” "
                f"files: “…{sample.strip()}…”."
            )
        except UnicodeDecodeError:
            pass
        raise FileProblem(
            f"The file is not UTF-8: byte 0x{bad} on line {line} is not valid UTF-8.{hint} "
            "Choose Latin-1 as the encoding and upload it again, or save it from Excel as "
            "“CSV UTF-8”."
        ) from error


def _table(header_cells, rows, notes, *, count: int, plain=False) -> Table:
    """`plain`: every cell is text already and none was quoted against formulas."""
    headers = [_text(cell).strip() for cell in header_cells]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise FileProblem("The file is empty: the first row should name the columns.")
    names = [column_name(header) for header in headers]
    seen = set()
    for header, name in zip(headers, names, strict=True):
        if not name:
            raise FileProblem("A column has no heading. Name every column in the first row.")
        if name in seen:
            raise FileProblem(f"The column “{header}” appears twice. Keep one of them.")
        seen.add(name)
    cleaned = _cleaned(rows, len(names), notes, plain)
    first = next(cleaned, None)
    if first is None:
        raise FileProblem("The file has column headings but no rows to import.")
    return Table(
        headers=headers,
        names=names,
        rows=itertools.chain([first], cleaned),
        count=max(count, 1),
        notes=notes,
    )


def _cleaned(rows, width: int, notes: list[str], plain: bool):
    for line, cells in rows:
        texts = cells if plain or _plain_text(cells) else [_text(cell) for cell in cells]
        if not any(text.strip() for text in texts):
            continue
        if len(texts) > width:
            if any(text.strip() for text in texts[width:]):
                notes.append(f"Row {line} has more cells than there are column headings; ignored.")
            texts = texts[:width]
        yield line, texts


CODECS = {"utf-8": "utf-8-sig", "latin-1": "cp1252"}


def read_csv(content: bytes, encoding: str) -> Table:
    _refuse_binary(content, "CSV")
    text = decode(content, encoding)  # all of it once, so that a bad byte is found now
    if not text.strip():
        raise FileProblem("The file is empty.")
    end = text.find("\n")
    first_line = text if end < 0 else text[:end]
    plain, count = "'" not in text, text.count("\n")
    del text
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    stream = io.TextIOWrapper(
        io.BytesIO(content), encoding=CODECS[encoding], errors="replace", newline=""
    )
    reader = csv.reader(stream, delimiter=delimiter)

    def numbered():
        # Row numbers as a spreadsheet shows them: the headings are row 1.
        try:
            yield from enumerate(reader, start=1)
        except csv.Error as error:
            raise FileProblem(
                f"The CSV file is malformed near line {reader.line_num}: {error}."
            ) from error

    rows = numbered()
    try:
        header = next(rows)[1]
    except StopIteration as error:
        raise FileProblem("The file is empty.") from error
    notes = [] if delimiter == "," else [f"Columns are separated by “{delimiter}”."]
    return _table(header, rows, notes, count=count, plain=plain)


def read_xlsx(content: bytes) -> Table:
    import openpyxl

    if not content.startswith(b"PK"):
        _refuse_binary(content, "XLSX")
        raise FileProblem("This is not an Excel workbook (.xlsx). Save it as .xlsx or CSV.")
    try:
        # data_only=False: a formula stays the text that was typed, never its result.
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheet = book.worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as error:
        raise FileProblem(
            "This Excel file could not be opened. Save it again as an Excel workbook "
            "(.xlsx) or as CSV."
        ) from error

    def numbered():
        try:
            for line, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, list(cells)
        finally:
            book.close()

    rows = numbered()
    header = next(rows, None)
    if header is None:
        book.close()
        raise FileProblem("The workbook's first sheet is empty.")
    notes = []
    if len(book.sheetnames) > 1:
        notes.append(f"Only the first sheet, “{book.sheetnames[0]}”, was read.")
    return _table(header[1], rows, notes, count=(sheet.max_row or 2) - 1)


def read_json(content: bytes) -> Table:
    _refuse_binary(content, "JSON")
    text = decode(content, "utf-8")
    if not text.strip():
        raise FileProblem("The file is empty.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileProblem(
            f"This is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from error
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileProblem(
            'A JSON import is a list of objects, one per row, such as [{"username": "jdoe"}].'
        )
    if not data:
        raise FileProblem("The file has no rows to import: the list is empty.")
    headers: dict[str, None] = {}
    for item in data:
        headers.update(dict.fromkeys(item))
    keys = list(headers)
    rows = ((line, [item.get(key) for key in keys]) for line, item in enumerate(data, start=1))
    return _table(keys, rows, [], count=len(data))


def read_table(content: bytes, *, file_name: str, fmt: str | None, encoding: str) -> Table:
    check_size(len(content))
    fmt = detect_format(file_name, fmt)
    if not content or not content.strip():
        raise FileProblem("The file is empty.")
    if encoding not in ENCODINGS:
        raise FileProblem(f"Unknown encoding “{encoding}”. Choose UTF-8 or Latin-1.")
    if fmt == "xlsx":
        return read_xlsx(content)
    if fmt == "json":
        return read_json(content)
    return read_csv(content, encoding)


def estimate_rows(content: bytes, fmt: str) -> int:
    """A cheap guess of the row count, to decide between now and a background task."""
    if fmt == "csv":
        return content.count(b"\n")
    if fmt == "json":
        return content.count(b"{")
    # Zipped sheets compress about 10 to 1; a row of a few cells takes some 100 bytes.
    return len(content) // 10
