"""`field__any_of=[...]`: membership in a long list, as one array parameter on PostgreSQL.

`__in` sends one placeholder per value; with thousands of values per batch the cost is in
building and parsing that statement, not in running it. `= ANY(%s)` sends the list as one
array. Other databases get a plain IN list.
"""

from django.db import connection
from django.db.models import Field, ForeignObject, Lookup


def array_parameter(values: list) -> tuple[str, object]:
    """A placeholder and its parameter for a PostgreSQL array of `values`.

    Lists of whole numbers or of text are written as an array literal here: psycopg's
    client-side binding adapts a list element by element in Python, some 5 ms per 2,000
    values, which an import pays several times per batch. Anything else is left to psycopg.
    Text is compared as `text`, never cast to the column's `varchar(n)`, which would cut
    long values short and match the wrong row.
    """
    if all(type(value) is int for value in values):
        return "%s::bigint[]", "{" + ",".join(map(str, values)) + "}"
    if all(type(value) is str for value in values):
        quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
        return "%s::text[]", "{" + ",".join(f'"{value}"' for value in quoted) + "}"
    return "%s", values


def id_list_condition(column_sql: str, values: list, using=None) -> tuple[str, list]:
    """`column_sql` is one of `values`, for raw SQL: one array parameter on PostgreSQL,
    a list of placeholders elsewhere (callers keep lists within SQLite's parameter limit,
    see plumbing.history.batched)."""
    if not values:
        return "1 = 0", []
    if (using or connection).vendor == "postgresql":
        placeholder, parameter = array_parameter(values)
        return f"{column_sql} = ANY({placeholder})", [parameter]
    return f"{column_sql} IN ({', '.join(['%s'] * len(values))})", list(values)


class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [list(value)])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        condition, params = id_list_condition(lhs, list(self.rhs), using=connection)
        return condition, [*lhs_params, *params]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
