"""Who of a batch's senders said nothing lately (`Router.batch`): their first message in the batch has no burst
to continue and no earlier words to join, so it need not ask (two queries a message in a flood, where nearly
every villager writes once; two for the whole batch instead).

What the reader leaves holds when the message is handled: only the sender's own messages add to what they said,
and the batch's earlier ones are not asked about — a sender's second message in the batch asks as ever."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.core.context import Context
from models.request_queries import heard_since

QUIET = "requests.quiet"  # ctx.ahead key: True when the sender had nothing still being said before this message
ASKING_KINDS = ("text", "voice")  # what `take_message` reads a sender's recent words for


async def read_quiet_senders(contexts: Sequence[Context]) -> None:
    asking = [c for c in contexts if c.inbound.kind in ASKING_KINDS and c.inbound.sender]
    if not asking:
        return
    rules = asking[0].services.policy.requests
    now = min(c.now for c in asking)  # the earliest: the windows as wide as any message's own
    keys = {(c.inbound.channel, c.inbound.sender) for c in asking}
    heard = await heard_since(keys, requests_since=now - rules.burst, words_since=now - rules.burst * 10)
    first: set[tuple[str, str]] = set()
    for ctx in contexts:  # in the order they are handled
        key = (ctx.inbound.channel, ctx.inbound.sender)
        if key in first:
            continue
        first.add(key)
        if ctx.inbound.kind in ASKING_KINDS and key in keys and key not in heard:
            ctx.ahead[QUIET] = True


def quiet(ctx: Context) -> bool:
    """Nothing still being said from this sender, as read for the batch (a known person's requests by other
    channels are not in that reading: for them, always False)."""
    return ctx.person is None and ctx.ahead.get(QUIET, False)
