"""A small-powers flow's status and its steps' states, and the one table of moves of each.

flow: `running` → `completed` (its last step recorded with every step done).
step: `pending` → `done` (recorded by the person responsible, in order or not: out of order raises a warning).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.lifecycle import Lifecycle, Moved
from models.powers import PowerFlow, PowerStep


class FlowState(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class StepState(StrEnum):
    PENDING = "pending"
    DONE = "done"


FLOW_MOVES: Mapping[FlowState, frozenset[FlowState]] = MappingProxyType(
    {FlowState.RUNNING: frozenset({FlowState.COMPLETED}), FlowState.COMPLETED: frozenset()}
)
STEP_MOVES: Mapping[StepState, frozenset[StepState]] = MappingProxyType(
    {StepState.PENDING: frozenset({StepState.DONE}), StepState.DONE: frozenset()}
)


def _flow_stamps(target: FlowState, at: datetime) -> dict[str, Any]:
    return {"completed_at": at} if target is FlowState.COMPLETED else {}


def _step_stamps(target: StepState, at: datetime) -> dict[str, Any]:
    return {"done_at": at} if target is StepState.DONE else {}


FLOWS: Lifecycle[FlowState] = Lifecycle(PowerFlow, "status", FLOW_MOVES, _flow_stamps)
STEPS: Lifecycle[StepState] = Lifecycle(PowerStep, "state", STEP_MOVES, _step_stamps)


async def complete_flow(flow: PowerFlow, at: datetime) -> Moved | None:
    return await FLOWS.move(flow, FlowState.COMPLETED, at)


async def record_step(step: PowerStep, at: datetime, **changes: Any) -> Moved | None:
    """None when the step was recorded already (by someone else, or this same message again)."""
    return await STEPS.move(step, StepState.DONE, at, **changes)
