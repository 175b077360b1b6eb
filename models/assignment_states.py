"""A department's part in a ticket (Assignment): its states, the one table of moves, `move_assignment`.

`notified` → `on_duty` (签收) → `in_progress` (进展, again and again) → `done` (办结); `returned` (退单)
from any state where the department still owes something. Beyond the plain line: 改派 withdraws a
department (`withdrawn`, even one that was done); a returned or withdrawn department named again is
notified afresh; 不满意 re-notifies every department that took part, even one still only notified.
办结 straight from `notified` is 签收 then 办结, two moves, as the audit trail has always shown it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.lifecycle import Event, Lifecycle, Moved
from models.tickets import Assignment


class AssignmentState(StrEnum):
    NOTIFIED = "notified"
    ON_DUTY = "on_duty"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"


A = AssignmentState
MOVES: Mapping[AssignmentState, frozenset[AssignmentState]] = MappingProxyType(
    {
        A.NOTIFIED: frozenset({A.ON_DUTY, A.RETURNED, A.WITHDRAWN, A.NOTIFIED}),  # …, reopened: notified afresh
        A.ON_DUTY: frozenset({A.IN_PROGRESS, A.DONE, A.RETURNED, A.WITHDRAWN, A.NOTIFIED}),
        A.IN_PROGRESS: frozenset({A.IN_PROGRESS, A.DONE, A.RETURNED, A.WITHDRAWN, A.NOTIFIED}),
        A.DONE: frozenset({A.WITHDRAWN, A.NOTIFIED}),  # 改派 away from a done primary; reopened
        A.RETURNED: frozenset({A.NOTIFIED}),  # named again by 改派 or 吹哨
        A.WITHDRAWN: frozenset({A.NOTIFIED}),
    }
)

# The department still owes something.
ACTIVE_STATES = (A.NOTIFIED, A.ON_DUTY, A.IN_PROGRESS)
# The department takes part (withdrawn and returned parts do not count).
COUNTED_STATES = (*ACTIVE_STATES, A.DONE)
# Handed back or taken away: the department no longer takes part, until it is named again.
LEFT_STATES = (A.RETURNED, A.WITHDRAWN)

_CLOCKS: Mapping[AssignmentState, Mapping[str, bool]] = MappingProxyType(
    {
        # which clock each move starts (True) or clears (False)
        A.NOTIFIED: {"notified_at": True, "on_duty_at": False, "done_at": False},
        A.ON_DUTY: {"on_duty_at": True},
        A.DONE: {"done_at": True},
    }
)


def _stamps(target: AssignmentState, at: datetime) -> dict[str, Any]:
    return {name: at if starts else None for name, starts in _CLOCKS.get(target, {}).items()}


LIFECYCLE: Lifecycle[AssignmentState] = Lifecycle(Assignment, "state", MOVES, _stamps)


async def move_assignment(
    part: Assignment,
    target: AssignmentState,
    at: datetime,
    *,
    event: Event | None = None,
    only_from: Collection[AssignmentState] | None = None,
    **changes: Any,
) -> Moved | None:
    """The one way a department's part changes state (see `Lifecycle.move`). Being notified restarts the
    department's clock (`notified_at` is `at`, `on_duty_at` and `done_at` cleared); 签收 sets `on_duty_at`,
    办结 `done_at`. None when the part was not (any more) in a state it may move from."""
    return await LIFECYCLE.move(part, target, at, event=event, only_from=only_from, **changes)
