"""Inserting a row that may already be there, in one statement.

`INSERT … ON CONFLICT DO NOTHING RETURNING id` instead of the ORM's insert inside a savepoint: a key already
used is not an error, so a caller's PostgreSQL transaction stays usable without a savepoint around it (two
statements fewer), and outside a transaction no BEGIN/COMMIT is needed (two more). Any other failure — a
NOT NULL or foreign key — raises as the ORM's insert would. Fields are converted and validated as the ORM
does (`to_db_value`); the ORM's save signals are not sent (none are registered in this project).
"""

from __future__ import annotations

from tortoise.connection import connections
from tortoise.models import Model

_STATEMENTS: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (dialect, table) → statement, fields in order


async def insert_unless_there(row: Model) -> bool:
    """Insert an unsaved row with a generated `id`; False (and nothing written) when a unique key is taken."""
    meta = row._meta
    conn = connections.get(meta.default_connection or "default")  # the caller's transaction, when one is open
    dialect = conn.capabilities.dialect
    key = (dialect, meta.db_table)
    if key not in _STATEMENTS:
        fields = [f for f in meta.fields_db_projection if f != meta.pk_attr]
        columns = ", ".join(f'"{meta.fields_db_projection[f]}"' for f in fields)
        marks = ", ".join(f"${n}" if dialect == "postgres" else "?" for n in range(1, len(fields) + 1))
        _STATEMENTS[key] = (
            f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({marks}) '
            f'ON CONFLICT DO NOTHING RETURNING "{meta.db_pk_column}"',
            fields,
        )
    sql, fields = _STATEMENTS[key]
    values = [meta.fields_map[f].to_db_value(getattr(row, f), row) for f in fields]
    found = await conn.execute_query_dict(sql, values)
    if not found:
        return False
    setattr(row, meta.pk_attr, found[0][meta.db_pk_column])
    row._saved_in_db = True  # as Model.create leaves it: a later save() updates this row
    return True
