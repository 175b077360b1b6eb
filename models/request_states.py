"""A request's (诉求) status: its states, the one table of moves between them, and `move_request`.

The lifecycle is `recorded` → `kept_in_grid` | `whistled` → `resolved` → `closed` | `reopened`.
What the code does besides: the village escalates a kept matter back to `recorded` (上报乡镇); a report
merged into a neighbour's earlier one takes that request's status, and later moves with it (to
`resolved` when the matter is done, whatever it was when merged); 不满意 on a village matter gives it
back to the grid (`kept_in_grid`), on a whistled one reopens every household's report.
With the county's village tier on, a matter for a county department that is not urgent is first
`at_village` (the village keeps it, 村办结, or sends it up, 上报乡镇; the township may whistle it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.lifecycle import Event, Lifecycle, Moved
from models.requests import Request


class RequestState(StrEnum):
    RECORDED = "recorded"
    KEPT_IN_GRID = "kept_in_grid"
    WHISTLED = "whistled"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REOPENED = "reopened"
    ANSWERED = "answered"  # answered at once from the small-powers list (handlers/powers)
    AT_VILLAGE = "at_village"  # the village tier: with the village before any department
    CLAIMED = "claimed"  # a serving Party member took it on as a 实事 (实事 认领)


R = RequestState
MOVES: Mapping[RequestState, frozenset[RequestState]] = MappingProxyType(
    {
        # the grid keeps it; the township whistles it; resolved or reopened along with the request it was merged into
        # the small-powers list answers it at once
        R.RECORDED: frozenset(
            {R.KEPT_IN_GRID, R.WHISTLED, R.RESOLVED, R.REOPENED, R.AT_VILLAGE, R.CLAIMED, R.ANSWERED}
        ),
        # 上报乡镇; the township whistles it anyway; 村办结
        R.KEPT_IN_GRID: frozenset({R.RECORDED, R.WHISTLED, R.RESOLVED, R.CLAIMED}),
        R.WHISTLED: frozenset({R.RESOLVED}),  # every department done
        # rated; another household's 不满意 reopens it (to the departments, or back to the grid)
        R.RESOLVED: frozenset({R.CLOSED, R.REOPENED, R.KEPT_IN_GRID}),
        R.CLOSED: frozenset({R.REOPENED, R.KEPT_IN_GRID}),
        R.REOPENED: frozenset(
            {R.RESOLVED, R.KEPT_IN_GRID, R.CLAIMED}
        ),  # done again; a village matter goes back to the grid
        # the small-powers list answered it: 满意 closes it, 没解决 / 不满意 makes it an ordinary request
        R.ANSWERED: frozenset({R.CLOSED, R.RECORDED}),
        # 上报乡镇; the township whistles it; 村办结; re-routed to the village's own matters while still being said
        R.AT_VILLAGE: frozenset({R.RECORDED, R.WHISTLED, R.RESOLVED, R.KEPT_IN_GRID}),
        # the member's 办结 (实事 完成); the claim given up (实事 撤销) gives it back to the grid
        R.CLAIMED: frozenset({R.RESOLVED, R.KEPT_IN_GRID}),
    }
)

# Still being worked on: a follow-up, a photo or another household's report belongs to it.
OPEN_STATES = (R.RECORDED, R.KEPT_IN_GRID, R.WHISTLED, R.REOPENED, R.AT_VILLAGE, R.CLAIMED)
# A serving Party member (or a cadre) may take it on as a 实事: nobody else is working on it yet.
CLAIMABLE = (R.RECORDED, R.KEPT_IN_GRID, R.REOPENED)
# Resolved but not yet rated: a rating word or a photo still belongs to it.
RATEABLE_STATES = (R.RESOLVED,)
# Not yet with the departments: the township may whistle it.
WHISTLEABLE = (R.RECORDED, R.KEPT_IN_GRID, R.AT_VILLAGE)
# A burst may still grow the request.
STILL_BEING_SAID = (R.RECORDED, R.KEPT_IN_GRID, R.AT_VILLAGE)
# What the grid member and village secretary act on (村办结, 上报乡镇).
HANDLED_BY_VILLAGE = (R.KEPT_IN_GRID, R.AT_VILLAGE)
# The household's own report is finished: its own status is told, not the merged-into request's.
FINISHED = (R.RESOLVED, R.CLOSED)


def _stamps(target: RequestState, at: datetime) -> dict[str, Any]:
    return {"updated_at": at, **({"resolved_at": at} if target is R.RESOLVED else {})}


LIFECYCLE: Lifecycle[RequestState] = Lifecycle(Request, "status", MOVES, _stamps)


async def move_request(
    request: Request,
    target: RequestState,
    at: datetime,
    *,
    event: Event | None = None,
    only_from: Collection[RequestState] | None = None,
    **changes: Any,
) -> Moved | None:
    """The one way a request's status changes (see `Lifecycle.move`); `updated_at` is `at`, and `resolved_at`
    too on the way to resolved. None when the request was not (any more) in a state it may move from."""
    return await LIFECYCLE.move(request, target, at, event=event, only_from=only_from, **changes)
