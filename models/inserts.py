"""Inserting a row (or several of one model) that may already be there, in one statement.

`INSERT … ON CONFLICT DO NOTHING RETURNING id` instead of the ORM's insert inside a savepoint: a key already
used is not an error, so a caller's PostgreSQL transaction stays usable without a savepoint around it (two
statements fewer), and outside a transaction no BEGIN/COMMIT is needed (two more). Any other failure — a
NOT NULL or foreign key — raises as the ORM's insert would. Fields are converted and validated as the ORM
does (`to_db_value`); the ORM's save signals are not sent (none are registered in this project).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from tortoise.connection import connections
from tortoise.models import Model

_COLUMNS: dict[tuple[str, str], tuple[str, list[str]]] = {}  # (dialect, table) → column list, fields in order
ROWS_PER_STATEMENT = 50  # SQLite takes at most 32,766 parameters in one statement; a row has about a dozen


async def insert_unless_there(row: Model) -> bool:
    """Insert an unsaved row with a generated `id`; False (and nothing written) when a unique key is taken."""
    return await insert_each_unless_there([row]) == 1


async def insert_each_unless_there(rows: Sequence[Model]) -> int:
    """Insert unsaved rows of one model in one statement (per 50 rows); each row whose unique key is taken is
    skipped. Returns how many were written. Only a row inserted alone gets its `id` (neither database promises
    to return several rows' ids in the order of their VALUES)."""
    written = 0
    for chunk, found in await _insert(rows, ()):
        written += len(found)
        if len(chunk) == 1 and found:
            pk = chunk[0]._meta.pk_attr
            setattr(chunk[0], pk, found[0][chunk[0]._meta.db_pk_column])
            chunk[0]._saved_in_db = True  # as Model.create leaves it: a later save() updates this row
    return written


async def insert_each_keyed(rows: Sequence[Model], key: tuple[str, ...]) -> list[int | None]:
    """As `insert_each_unless_there`, and each row's new id, in the rows' order, found by its unique `key`
    (field names); None for a row whose key was taken — also by an earlier row of the same call."""
    if not rows:
        return []
    meta = rows[0]._meta
    columns = [meta.fields_db_projection[f] for f in key]
    ids: dict[tuple, int] = {}
    for _, found in await _insert(rows, key):
        ids.update((tuple(record[c] for c in columns), record[meta.db_pk_column]) for record in found)
    out: list[int | None] = []
    for row in rows:
        out.append(ids.pop(tuple(getattr(row, f) for f in key), None))  # popped: a second row of one key gets None
    return out


async def _insert(rows: Sequence[Model], returning: tuple[str, ...]) -> list[tuple[Sequence[Model], list[dict]]]:
    if not rows:
        return []
    meta = rows[0]._meta
    conn = connections.get(meta.default_connection or "default")  # the caller's transaction, when one is open
    dialect = conn.capabilities.dialect
    key = (dialect, meta.db_table)
    if key not in _COLUMNS:
        fields = [f for f in meta.fields_db_projection if f != meta.pk_attr]
        _COLUMNS[key] = (", ".join(f'"{meta.fields_db_projection[f]}"' for f in fields), fields)
    columns, fields = _COLUMNS[key]
    back = ", ".join(
        f'"{column}"' for column in (meta.db_pk_column, *(meta.fields_db_projection[f] for f in returning))
    )
    results = []
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        values: list = []
        for row in chunk:
            values.extend(meta.fields_map[f].to_db_value(getattr(row, f), row) for f in fields)
        found = await conn.execute_query_dict(
            f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {_marks(dialect, len(chunk), len(fields))} '
            f"ON CONFLICT DO NOTHING RETURNING {back}",
            values,
        )
        results.append((chunk, found))
    return results


@cache  # a handful of (dialect, rows, fields) shapes: the text is built once each
def _marks(dialect: str, rows: int, fields: int) -> str:
    if dialect != "postgres":
        return ", ".join(["(" + ", ".join(["?"] * fields) + ")"] * rows)
    return ", ".join("(" + ", ".join(f"${n * fields + i}" for i in range(1, fields + 1)) + ")" for n in range(rows))
