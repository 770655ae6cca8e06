"""Reading report pages and files back into plain rows, so tests can compare them."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

from openpyxl import load_workbook


class _Tables(HTMLParser):
    """Rows of the table with a given id, rowspans expanded, cell text whitespace-collapsed."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id = table_id
        self.depth = 0
        self.in_body = False
        self.rows: list[list[str]] = []
        self.row: list | None = None
        self.cell: list[str] | None = None
        self.span = 1
        self.carry: dict[int, tuple[str, int]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.depth = 1
        elif tag == "table" and self.depth:
            self.depth += 1
        if not self.depth:
            return
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
            self.span = int(attrs.get("rowspan", 1))

    def _fill_carried(self):
        while len(self.row) in self.carry:
            index = len(self.row)
            text, left = self.carry[index]
            self.row.append(text)
            if left <= 1:
                del self.carry[index]
            else:
                self.carry[index] = (text, left - 1)

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self._fill_carried()
            text = re.sub(r"\s+", " ", "".join(self.cell)).strip()
            if self.span > 1:
                self.carry[len(self.row)] = (text, self.span - 1)
            self.row.append(text)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self._fill_carried()
            self.rows.append(self.row)
            self.row = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str | bytes, table_id: str) -> list[list[str]]:
    if isinstance(html, bytes):
        html = html.decode()
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def file_rows(response, fmt: str) -> tuple[list[str], list[list]]:
    """(headers, rows) of a downloaded file."""
    data = content(response)
    if fmt == "csv":
        reader = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        return reader[0], reader[1:]
    if fmt == "json":
        records = json.loads(data)
        headers = list(records[0]) if records else []
        return headers, [list(record.values()) for record in records]
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    return [str(h) for h in values[0]], [
        ["" if v is None else v for v in row] for row in values[1:]
    ]


def norm(value) -> str:
    """One spelling per value: numbers compare as numbers, everything else as text."""
    if value is None:
        return ""
    text = str(value).strip()
    try:
        number = Decimal(text)
        return (
            format(number.normalize(), "f")
            if number == number.to_integral()
            else str(number.normalize())
        )
    except ArithmeticError:
        # Not a number, or text that only looks like one: a certificate code such as
        # 174646E058793104 reads as a number too large to write out.
        return re.sub(r"\s+", " ", text)


def normalised(rows) -> list[list[str]]:
    return [[norm(value) for value in row] for row in rows]


def copies_running() -> int:
    """Export COPYs still busy on the server, on any connection but this test's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state <> 'idle' AND query LIKE 'COPY (SELECT NULLIF%%' "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]
