"""How a committee member is told the whistle went ("已吹哨：#N … 签收时限 … 办结时限 …") and asked about
department names that matched none."""

from __future__ import annotations

from typing import Any

from handlers.common.format import stamp
from handlers.core.context import Context
from handlers.tickets.departments import Unknown
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


def ask_about_unknown(ctx: Context, request: Request, unknown: list[Unknown]) -> None:
    """「没有找到『水务厅』（您是想说『水务局』吗？）…」 with the command that adds them once confirmed."""
    if not unknown:
        return
    ctx.reply(
        "whistle.unknown_departments",
        words="、".join(
            ctx.say("whistle.unknown_one", word=u.word, suggestions="」或「".join(u.suggestions))
            if u.suggestions
            else ctx.say("whistle.unknown_none", word=u.word)
            for u in unknown
        ),
        number=request.number,
        example=" ".join(u.suggestions[0] for u in unknown if u.suggestions) or "部门名",
    )
