"""Sending on, once a backlog is cleared, the matters answered in it.

In a flood the inbox handles messages in batches (Dispatcher.process_lanes); a matter that is not urgent is then
recorded and answered at once but sent on — to the grid, the village or the township's confirmation card —
only after the backlog (`record_request(in_backlog=True)` sets `Request.forward_after_backlog`). The cards it
makes are combined for their cadres anyway (bot/outbox/combine.py); answering every villager first is what the
flood needs. Urgent matters never wait: they go at once, in the batch.

The flag is cleared in the transaction that sends the request on, rows taken with SKIP LOCKED: a second process
takes other rows, and a crash leaves the flag for the next start. A request that cannot be sent on is logged
and left recorded for the township (it shows as 待处理), not retried for ever.
"""

from __future__ import annotations

import logging

from tortoise.transactions import in_transaction

from handlers.core.context import Services
from handlers.requests.service import forward
from models import Request
from models.request_states import RequestState
from models.shapes import Shape

log = logging.getLogger(__name__)

MOST = 24  # requests sent on in one transaction, as a backlog's messages are handled (bot/inbox.py)

_WAITING = Shape(
    lambda most: (
        Request.filter(forward_after_backlog=True).order_by("id").limit(most).select_for_update(skip_locked=True)
    )
)

_ANY_WAITING = Shape(lambda: Request.filter(forward_after_backlog=True).only("id").limit(1))
_WAITING_ONE = Shape(
    lambda request_id: Request.filter(id=request_id, forward_after_backlog=True).select_for_update(skip_locked=True)
)


async def forward_waiting(services: Services) -> int:
    """Send on the oldest waiting requests, up to MOST in one transaction; how many were taken (0: none waits)."""
    if not await _ANY_WAITING.rows():  # asked after every message in steady traffic: one statement, no transaction
        return 0
    try:
        async with in_transaction():
            return await _forward(services, await _WAITING.rows(MOST))
    except Exception:  # one of them failed: each alone, so the others still go and the failing one is not retried
        log.exception("sending on requests answered in a backlog failed; trying them one by one")
    async with in_transaction():
        ids = [r.id for r in await _WAITING.rows(MOST)]
    for request_id in ids:
        try:
            async with in_transaction():
                await _forward(services, await _WAITING_ONE.rows(request_id))
        except Exception:
            log.exception("request %s answered in a backlog could not be sent on; left recorded", request_id)
            await Request.filter(id=request_id).update(forward_after_backlog=False)
    return len(ids)


async def _forward(services: Services, requests: list[Request]) -> int:
    if not requests:
        return 0
    await Request.filter(id__in=[r.id for r in requests]).update(forward_after_backlog=False)
    now = services.clock.now()
    for request in requests:
        request.forward_after_backlog = False
        # merged into a neighbour's report (it follows that one), or taken on meanwhile (claimed, whistled)
        if request.merged_into_id is None and request.status == RequestState.RECORDED:
            await forward(services, request, now, fresh=True)
    return len(requests)
