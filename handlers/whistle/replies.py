"""The one way a committee member is told the whistle went: "已吹哨：#N … 签收时限 … 办结时限 …"."""

from __future__ import annotations

from typing import Any

from handlers.common.format import stamp
from handlers.core.context import Context
from models import Department, Request, Ticket


def reply_whistled(
    ctx: Context,
    ticket: Ticket,
    request: Request,
    departments: list[Department],
    key: str = "whistle.done",
    **params: Any,
) -> None:
    ctx.reply(
        key,
        number=ticket.number,
        request_number=request.number,
        departments="、".join(d.name for d in departments),
        respond_due=stamp(ticket.respond_due),
        resolve_due=stamp(ticket.resolve_due),
        **params,
    )
