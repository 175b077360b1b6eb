"""A write and its line on the audit trail, in one statement where the database allows it.

Every villager's message records a request — its number, its row, its `recorded` event — and most then move it
with another event: two or three statements each time, a round trip to the database apiece. PostgreSQL writes
a row and its event in one statement (a data-modifying WITH; the event is written only if the row was), and
takes the number from its sequence inside it. SQLite has no such statement: there they run one by one, as
the ORM writes them. Values are converted as the ORM converts them (`to_db_value`), and each statement's text
is built once per table and set of fields.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

from tortoise.connection import connections
from tortoise.models import Model

from models.numbers import NEXT_NUMBER_SQL, next_number
from models.tickets import TicketEvent


def _client() -> Any:
    return connections.get("default")  # the caller's transaction, when one is open


async def insert_audited(row: Model, event: TicketEvent, *, link: str, numbered: bool = False) -> None:
    """Insert the unsaved `row` and then `event`, whose field `link` (request_id, ticket_id) names the row;
    `numbered`: the row's `number` is the next of the county's series (models/numbers.py). Both come back
    saved, with their ids (and the row its number)."""
    client = _client()
    if client.capabilities.dialect != "postgres":
        if numbered:
            row.number = await next_number()
        await row.save(using_db=client)
        setattr(event, link, row.pk)
        await event.save(using_db=client)
        return
    columns, fields = _columns(type(row))
    _, event_fields = _columns(TicketEvent)
    sql = _insert_sql(row._meta.db_table, columns, numbered, link)
    values = [_db_value(row, f) for f in fields if not (numbered and f == "number")]
    values += [_db_value(event, f) for f in event_fields if f != link]
    found = (await client.execute_query_dict(sql, values))[0]
    row.pk, row._saved_in_db = found["row_id"], True
    if numbered:
        row.number = found["row_number"]
    setattr(event, link, found["row_id"])
    event.pk, event._saved_in_db = found["event_id"], True


async def update_audited(
    row: Model, state_field: str, sources: Collection[str], values: Mapping[str, Any], event: TicketEvent
) -> bool | None:
    """PostgreSQL: write `values` to `row` while its `state_field` is one of `sources`, and `event` only if it was
    — one statement; True when both were written (`event` then has its id), False when the row was not (any
    more) in those states. None: not done here — another database, or a value that is not a plain column —
    and the caller writes them one by one."""
    client = _client()
    meta = row._meta
    if client.capabilities.dialect != "postgres" or not all(name in meta.fields_db_projection for name in values):
        return None
    names = tuple(values)
    _, event_fields = _columns(TicketEvent)
    sql = _update_sql(
        meta.db_table,
        tuple(meta.fields_db_projection[n] for n in names),
        meta.db_pk_column,
        meta.fields_db_projection[state_field],
        len(sources),
    )
    params = [meta.fields_map[n].to_db_value(values[n], row) for n in names]
    params += [row.pk, *sorted(sources)]
    params += [_db_value(event, f) for f in event_fields]
    found = await client.execute_query_dict(sql, params)
    if not found:
        return False
    event.pk, event._saved_in_db = found[0]["id"], True
    return True


def _db_value(row: Model, field: str) -> Any:
    return row._meta.fields_map[field].to_db_value(getattr(row, field), row)


@cache
def _columns(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's columns but its generated id, and their fields, in one order."""
    meta = model._meta
    fields = tuple(f for f in meta.fields_db_projection if f != meta.pk_attr)
    return tuple(meta.fields_db_projection[f] for f in fields), fields


@cache
def _insert_sql(table: str, columns: Sequence[str], numbered: bool, link: str) -> str:
    """`numbered`: the column `number` takes the next number instead of a parameter."""
    marks, n = [], 0
    for column in columns:
        if numbered and column == "number":
            marks.append(NEXT_NUMBER_SQL)
        else:
            n += 1
            marks.append(f"${n}")
    event_columns, event_fields = _columns(TicketEvent)
    event_marks = []
    for field in event_fields:
        if field == link:
            event_marks.append('r."id"')
        else:
            n += 1
            event_marks.append(f"${n}")
    number = ', "number"' if numbered else ""
    return (
        f'WITH r AS (INSERT INTO "{table}" ({_quoted(columns)}) VALUES ({", ".join(marks)}) RETURNING "id"{number}), '
        f'e AS (INSERT INTO "ticket_event" ({_quoted(event_columns)}) SELECT {", ".join(event_marks)} FROM r '
        'RETURNING "id") '
        f'SELECT r."id" AS row_id{", r.number AS row_number" if number else ""}, e."id" AS event_id FROM r, e'
    )


@cache
def _update_sql(table: str, columns: Sequence[str], pk: str, state: str, sources: int) -> str:
    sets = ", ".join(f'"{c}" = ${i}' for i, c in enumerate(columns, 1))
    n = len(columns) + 1
    among = ", ".join(f"${n + 1 + i}" for i in range(sources))
    event_columns, _ = _columns(TicketEvent)
    first = n + 1 + sources
    event_marks = ", ".join(f"${first + i}" for i in range(len(event_columns)))
    return (
        f'WITH m AS (UPDATE "{table}" SET {sets} WHERE "{pk}" = ${n} AND "{state}" IN ({among}) RETURNING 1) '
        f'INSERT INTO "ticket_event" ({_quoted(event_columns)}) SELECT {event_marks} FROM m RETURNING "id"'
    )


def _quoted(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)
