"""A record's lifecycle: its states, the one table of allowed moves, and the one way to make a move.

`Lifecycle.move` changes a row's state in one conditional UPDATE — it applies only while the row is
still, in the database, in a state the table allows the move from — so two paths racing for the same
row (two clicks, a ticker and a command) never both move it. It returns whether it moved the row (a
`Moved`, or None); only then are the row's attributes updated and the move's event, if any, appended to
the audit trail.
The three machines are `models.request_states`, `models.ticket_states` and `models.assignment_states`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from tortoise.models import Model

from models.areas import Department
from models.audited import update_audited
from models.people import Person
from models.requests import Request
from models.shapes import Shape
from models.tickets import Ticket, TicketEvent

S = TypeVar("S", bound=StrEnum)
Stamps = Callable[[Any, datetime], dict[str, Any]]


@dataclass(frozen=True)
class Event:
    """One entry for the append-only audit trail (TicketEvent): what happened, to what, by whom, why.

    Its request is `request`, else the ticket's request, as the trail has always been kept."""

    kind: str
    ticket: Ticket | None = None
    request: Request | None = None
    department: Department | None = None
    actor: Person | None = None
    reason: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    async def write(self, at: datetime) -> TicketEvent:
        row = self.row(at)
        await row.save()
        return row

    def row(self, at: datetime) -> TicketEvent:
        """The event as an unsaved row of the trail."""
        request_id = (
            self.request.id
            if self.request is not None
            else (self.ticket.request_id if self.ticket is not None else None)
        )
        return TicketEvent(
            kind=self.kind,
            at=at,
            ticket_id=self.ticket.id if self.ticket else None,
            request_id=request_id,
            department_id=self.department.id if self.department else None,
            actor_id=self.actor.id if self.actor else None,
            reason=self.reason,
            data=dict(self.data),
        )


@dataclass(frozen=True)
class Moved:
    """A move that was made (always true); `event` is what it wrote on the trail, when it had an event."""

    event: TicketEvent | None = None


def no_stamps(state: Any, at: datetime) -> dict[str, Any]:
    return {}


class Lifecycle(Generic[S]):
    """The states of one model's `field`, the moves allowed between them, and the clocks a move sets."""

    def __init__(
        self, model: type[Model], field_name: str, moves: Mapping[S, Collection[S]], stamps: Stamps = no_stamps
    ) -> None:
        self.model = model
        self.field = field_name
        self.moves: Mapping[S, frozenset[S]] = MappingProxyType(
            {source: frozenset(targets) for source, targets in moves.items()}
        )
        self.stamps = stamps
        self._targets = MappingProxyType({str(s): frozenset(str(t) for t in targets) for s, targets in moves.items()})
        self._updates: dict[tuple[tuple[str, ...], tuple[str, ...]], Shape[Any]] = {}

    def _update(self, sources: tuple[str, ...], names: tuple[str, ...]) -> Shape[Any]:
        """The conditional UPDATE of a move from `sources` writing the fields `names` (models/shapes.py: every
        message makes a move or two, so its text is built once)."""
        key = (sources, names)
        if key not in self._updates:
            model, state_in = self.model, {f"{self.field}__in": sources}
            self._updates[key] = Shape(
                lambda pk, *values: model.filter(pk=pk, **state_in).update(**dict(zip(names, values, strict=True)))
            )
        return self._updates[key]

    def allows(self, source: str, target: str) -> bool:
        """Whether the table has the move; a state read from the database is a plain string, and that will do."""
        return str(target) in self._targets.get(str(source), frozenset())

    def sources(self, target: S) -> frozenset[S]:
        """The states a row may be in to move to `target`."""
        return frozenset(s for s, targets in self.moves.items() if target in targets)

    async def move(
        self,
        row: Model,
        target: S,
        at: datetime,
        *,
        event: Event | None = None,
        only_from: Collection[S] | None = None,
        **changes: Any,
    ) -> Moved | None:
        """Move `row` to `target` if the database still has it in an allowed source state (narrowed by
        `only_from` where the caller's rule is stricter than the table); `changes` are written with it.
        Moved: then `row` shows the new values and `event` is on the trail (written at `at`); else None."""
        sources = self.sources(target)
        if only_from is not None:
            sources &= frozenset(only_from)
        if not sources:
            return None
        values = {self.field: target.value, **self.stamps(target, at), **changes}
        if event is not None:  # PostgreSQL: the move and its event in one statement
            row_event = event.row(at)
            both = await update_audited(row, self.field, [s.value for s in sources], values, row_event)
            if both is not None:
                if not both:
                    return None
                for name, value in values.items():
                    setattr(row, name, value)
                return Moved(row_event)
        moved = await self._update(tuple(sorted(s.value for s in sources)), tuple(values)).count(
            row.pk, *values.values()
        )
        if not moved:
            return None
        for name, value in values.items():
            setattr(row, name, value)
        return Moved(await event.write(at) if event is not None else None)
