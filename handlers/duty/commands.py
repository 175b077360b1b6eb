"""报到 / 进展 / 办结 / 退单: a department's liaison reports on its part of a ticket, by card button or by text.

Card buttons carry a DutyKey (`duty:<action>:<ticket id>:<department code>`); the text commands `#<number>`.
A grid member's `办结 #N` for a matter the grid keeps is the village's (requests/village), which runs first.
"""

from __future__ import annotations

from config.errors import UserError
from handlers.common.format import stamp
from handlers.common.numbers import split_number
from handlers.core.context import Context
from handlers.core.router import Router
from handlers.duty import service as duty
from handlers.tickets.cards import TYPED, Click, DutyKey, refresh_department_card
from handlers.tickets.deadlines import deadlines_for
from handlers.tickets.lookup import find_ticket, own_part
from models import Assignment, Request, Ticket
from models.area_cache import area_of
from models.assignment_states import ACTIVE_STATES
from models.ticket_queries import assignments_of, department_list, place_of

router = Router("duty")


async def _command_part(ctx: Context, usage: str) -> tuple[Ticket, Assignment, str] | None:
    number, rest = split_number(ctx.args, usage)
    ticket = await find_ticket(number)
    part = await own_part(ctx, ticket, ctx.command)
    return (ticket, part, ctx.inbound.typed(rest)) if part is not None else None  # the note as typed


async def _state_reply(ctx: Context, ticket: Ticket, part: Assignment, click: Click = TYPED) -> None:
    """Nothing to do in the part's state; a click came from a card that no longer shows it, so the card is
    brought up to date with that click's response_code."""
    ctx.reply(
        "duty.already", department=part.department.name, number=ticket.number, state=ctx.say(f"duty.state_{part.state}")
    )
    if click.code:
        request = await Request.get(id=ticket.request_id)
        place = await place_of(await area_of(request.area_id))
        await refresh_department_card(ctx.services, ticket, part, request, place, click=click, resend=False)


async def _on_duty(ctx: Context, ticket: Ticket, part: Assignment, click: Click = TYPED) -> None:
    if not await duty.report_for_duty(ctx.services, ticket, part, ctx.speaker, click=click):
        await _state_reply(ctx, ticket, part, click)
        return
    due = deadlines_for(ctx.services, ticket.urgency, part.notified_at)
    ctx.reply(
        "duty.on_duty_ok", number=ticket.number, department=part.department.name, resolve_due=stamp(due.resolve_due)
    )


async def _done(ctx: Context, ticket: Ticket, part: Assignment, note: str, click: Click = TYPED) -> None:
    if not await duty.finish(ctx.services, ticket, part, ctx.speaker, note, click=click):
        await _state_reply(ctx, ticket, part, click)
        return
    waiting = await assignments_of(ticket, *ACTIVE_STATES)
    if waiting:
        ctx.reply(
            "duty.done_ok_waiting",
            number=ticket.number,
            department=part.department.name,
            departments=department_list(waiting),
        )
    else:
        ctx.reply("duty.done_ok_all", number=ticket.number, department=part.department.name)


async def _return(ctx: Context, ticket: Ticket, part: Assignment, reason: str, click: Click = TYPED) -> None:
    if not reason:
        raise UserError("duty.return_needs_reason", number=ticket.number)
    if not await duty.hand_back(ctx.services, ticket, part, ctx.speaker, reason, click=click):
        await _state_reply(ctx, ticket, part, click)
        return
    ctx.reply("duty.return_ok", number=ticket.number, department=part.department.name)


@router.command("duty_on")
async def on_duty_command(ctx: Context) -> None:
    found = await _command_part(ctx, "duty.usage_on_duty")
    if found:
        await _on_duty(ctx, found[0], found[1])


@router.command("duty_progress")
async def progress_command(ctx: Context) -> None:
    found = await _command_part(ctx, "duty.usage_progress")
    if not found:
        return
    ticket, part, text = found
    if not text:
        raise UserError("duty.progress_needs_text", number=ticket.number)
    if part.state not in ACTIVE_STATES:
        await _state_reply(ctx, ticket, part)
        return
    await duty.report_progress(ctx.services, ticket, part, ctx.speaker, text)
    ctx.reply("duty.progress_ok", number=ticket.number)


@router.command("duty_done")
async def done_command(ctx: Context) -> None:
    found = await _command_part(ctx, "duty.usage_done")
    if found:
        await _done(ctx, *found)


@router.command("duty_return")
async def return_command(ctx: Context) -> None:
    found = await _command_part(ctx, "duty.usage_return")
    if found:
        await _return(ctx, *found)


async def _ask_reason(ctx: Context, ticket: Ticket, part: Assignment, click: Click) -> None:
    if part.state not in ACTIVE_STATES:
        await _state_reply(ctx, ticket, part, click)
        return
    ctx.reply("duty.return_needs_reason", number=ticket.number)


async def _ask_progress(ctx: Context, ticket: Ticket, part: Assignment, click: Click) -> None:
    if part.state not in ACTIVE_STATES:
        await _state_reply(ctx, ticket, part, click)
        return
    ctx.reply("duty.progress_needs_text", number=ticket.number)


async def _done_click(ctx: Context, ticket: Ticket, part: Assignment, click: Click) -> None:
    await _done(ctx, ticket, part, "", click)


# 签收 and 办结 act at once; 退单 and 进展 need words, so the liaison is asked for them.
CARD_ACTIONS = {
    "on": _on_duty,
    "done": _done_click,
    "return": _ask_reason,
    "progress": _ask_progress,
    "status": _state_reply,  # a finished part's card: where it stands
}


@router.card(DutyKey)
async def card_click(ctx: Context) -> None:
    """A button on a department's card."""
    key = ctx.clicked(DutyKey)
    ticket = await Ticket.get_or_none(id=key.ticket_id)
    if ticket is None:
        raise UserError("whistle.ticket_gone")  # the card names a ticket that is no more: there is no number to show
    part = await own_part(ctx, ticket, f"card:{key.action}", key.department)
    if part is not None:
        extra = ctx.inbound.extra
        click = Click(str(extra.get("response_code", "")), str(extra.get("task_id", "")))
        await CARD_ACTIONS[key.action](ctx, ticket, part, click)
