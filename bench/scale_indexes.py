"""Bulk loading of scale data: secondary indexes are dropped first and built afterwards."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

from enrollments.models import Certificate, Enrollment
from users.models import SegmentMembership, User, UserSearch

BULK_TABLES = (User, UserSearch, Enrollment, SegmentMembership, Certificate)


def _plain_indexes(models) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of these tables and their history tables that back
    no constraint: the ones a bulk load may drop and build again afterwards."""
    tables = [m._meta.db_table for m in models]
    tables += [m.history.model._meta.db_table for m in models if hasattr(m, "history")]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT quote_ident(index_class.relname), pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class index_class ON index_class.oid = i.indexrelid
            JOIN pg_class table_class ON table_class.oid = i.indrelid
            WHERE table_class.relname = ANY(%s)
              AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1
            """,
            [tables],
        )
        return cursor.fetchall()


@contextmanager
def indexes_built_after(enabled: bool, write):
    """Loading millions of rows is far faster into tables without their secondary indexes,
    which are then built once, sorted, instead of grown row by row. They are built again
    whatever happens to the load, even when it fails or is interrupted."""
    if not enabled:
        yield
        return
    dropped = _plain_indexes(BULK_TABLES)
    with connection.cursor() as cursor:
        for name, _ in dropped:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    try:
        yield
    finally:
        write(f"building {len(dropped)} indexes again")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _, definition in dropped:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
