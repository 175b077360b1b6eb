"""Hot queries written once: the ORM builds a query's text the first time it runs on a database, and later
calls run that text with their own values.

Building a query costs the ORM more than a database takes to answer a simple one (a sender's latest request:
~150 µs to build, ~40 µs to run on SQLite), and every villager's message runs a dozen such queries. A `Shape`
is a function of its values that returns the ORM query (a select, or an update); the first call on a
database builds it twice with stand-in values, finds where each value goes among the statement's
parameters, and keeps the text. It is kept only when both builds agree on everything but the stand-ins, so a
query whose text depends on a value (None becomes IS NULL, a list's length its placeholders) is never kept:
it goes the ORM's own way on every call, as it does for any value other than str, int, datetime or a tuple of
ints (`id__in`: one text for each length).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from tortoise.connection import connections
from tortoise.models import Model
from tortoise.queryset import QuerySet, UpdateQuery

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)
KEPT_TYPES = (str, int, datetime)  # values that are always one placeholder, whatever they are


@dataclass(frozen=True)
class _Text:
    sql: str
    params: tuple[Any, ...]  # the constants, and a stand-in where a value goes
    slots: tuple[tuple[int, ...], ...]  # per value (each of a tuple's its own), the positions of its parameter(s)

    def filled(self, values: tuple[Any, ...]) -> list[Any]:
        params = list(self.params)
        for value, slots in zip(_atoms(values), self.slots, strict=True):
            for slot in slots:
                params[slot] = value
        return params


class Shape(Generic[M]):
    """A query of model `M` built by `build(*values)`, whose text is kept per database and kinds of values."""

    def __init__(self, build: Callable[..., QuerySet[M] | UpdateQuery]) -> None:
        self.build = build
        self._texts: dict[tuple[str, tuple[Kind, ...]], _Text | None] = {}

    async def rows(self, *values: Any) -> list[M]:
        """The rows of a select (as the ORM's `await query` gives them)."""
        found = await self._run(values, select=True)
        return found if isinstance(found, list) else [found] if found is not None else []

    async def first(self, *values: Any) -> M | None:
        rows = await self.rows(*values)
        return rows[0] if rows else None

    async def count(self, *values: Any) -> int:
        """How many rows an update changed."""
        return int(await self._run(values, select=False))

    async def _run(self, values: tuple[Any, ...], *, select: bool) -> Any:
        conn = connections.get("default")  # the caller's transaction, when one is open
        kinds = tuple(_kind(value) for value in values)
        key = (conn.capabilities.dialect, kinds)
        if key not in self._texts:
            self._texts[key] = self._write(kinds, values) if None not in kinds and len(_atoms(values)) < 1000 else None
        text = self._texts[key]
        if text is None:
            return await self.build(*values)
        params = text.filled(values)
        if not select:
            return (await conn.execute_query(text.sql, params))[0]
        return await conn.executor_class(model=self._model, db=conn).execute_select(text.sql, params)

    def _write(self, kinds: tuple[Kind, ...], values: tuple[Any, ...]) -> _Text | None:
        """The kept text, or None when two builds with different stand-ins differ beyond the stand-ins, or the
        text filled with this first call's `values` is not what the ORM itself writes for them."""
        try:
            first, second = (self._built(_stand_ins(kinds, round_)) for round_ in (0, 1))
        except Exception:  # a stand-in the query's fields refuse: this query goes the ORM's way
            log.warning("query shape %s: not kept (its fields refuse stand-in values)", self.build, exc_info=True)
            return None
        (sql, params, ins), (sql2, params2, ins2) = first, second
        slots = tuple(tuple(i for i, p in enumerate(params) if _same(p, atom)) for atom in _atoms(tuple(ins)))
        slots2 = tuple(tuple(i for i, p in enumerate(params2) if _same(p, atom)) for atom in _atoms(tuple(ins2)))
        taken = {i for positions in slots for i in positions}
        constants_agree = all(params[i] == params2[i] for i in range(len(params)) if i not in taken)
        if sql != sql2 or slots != slots2 or len(params) != len(params2) or not all(slots) or not constants_agree:
            log.warning("query shape %s: not kept (its text depends on the values)", self.build)
            return None
        text = _Text(sql, tuple(params), slots)
        own_sql, own_params, _ = self._built(list(values))
        if own_sql != sql or len(own_params) != len(params) or not all(map(_same, own_params, text.filled(values))):
            log.warning("query shape %s: not kept (the ORM converts its values)", self.build)
            return None
        return text

    def _built(self, values: list[Any]) -> tuple[str, list[Any], list[Any]]:
        query = self.build(*values)
        self._model = query.model
        query._choose_db_if_not_chosen(
            isinstance(query, UpdateQuery) or bool(getattr(query, "_select_for_update", False))
        )
        if isinstance(query, QuerySet) and (query._prefetch_map or query._select_related or query._annotations):
            raise TypeError("only plain selects are kept: prefetches and annotations go the ORM's way")
        query._make_query()
        sql, params = query.query.get_parameterized_sql()
        return sql, list(params), values

    _model: type[M]  # the query's model, known once a build ran


Kind = type | tuple[int, ...] | None  # a value's type; for a tuple of ids its length; None: not kept


def _kind(value: Any) -> Kind:
    """What a stand-in for `value` must be: its type, or for a non-empty tuple of ints (`id__in`) its length,
    as the text has a placeholder for each; None when the text may differ otherwise (None, a bool, a list …)."""
    if isinstance(value, tuple):
        return (len(value),) if value and all(_kind(v) is int for v in value) else None
    if isinstance(value, bool):
        return None
    for kind in KEPT_TYPES:
        if isinstance(value, kind):
            return kind
    return None


def _atoms(values: tuple[Any, ...]) -> list[Any]:
    """The values one by one, a tuple's each on its own, as they go into the parameters."""
    return [atom for value in values for atom in (value if isinstance(value, tuple) else (value,))]


def _stand_ins(kinds: tuple[Kind, ...], round_: int) -> list[Any]:
    """Values of `kinds` that no real call and no constant of a query would use; each `round_` others."""
    out: list[Any] = []
    n = 0
    for kind in kinds:
        if isinstance(kind, tuple):
            out.append(tuple(_stand_in(int, n + i, round_) for i in range(kind[0])))
            n += kind[0]
        else:
            out.append(_stand_in(kind, n, round_))
            n += 1
    return out


def _stand_in(kind: type | None, n: int, round_: int) -> Any:
    if kind is str:
        return f"\x1fshape-{round_}-{n}\x1f"
    if kind is int:
        return 27_000 + 1_000 * round_ + n  # small enough for any integer column's validators
    if kind is datetime:
        return datetime(1901, 1 + round_, 1, 0, 0, 0, n, tzinfo=UTC)
    raise TypeError(kind)


def _same(param: Any, value: Any) -> bool:
    """The same parameter: of one type and equal (a time also in one offset, as SQLite keeps it as text)."""
    if type(param) is not type(value) or param != value:
        return False
    return not isinstance(param, datetime) or param.utcoffset() == value.utcoffset()
