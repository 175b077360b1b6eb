"""报到 / 进展 / 办结 / 退单: a department's liaison reports on its part of a ticket, by card button or by text.

Card buttons carry `duty:<action>:<ticket id>:<department code>`; the text commands carry `#<number>`.
"""

from __future__ import annotations

from config.errors import UserError
from handlers.duty import service as duty
from handlers.requests.village import commands as requests_village
from handlers.core.context import Context, HandlerRouter
from handlers.tickets.lookup import find_ticket, own_part, split_number
from handlers.tickets.cards import stamp
from handlers.tickets.deadlines import deadlines
from models import Assignment, Request, Ticket
from models.ticket_queries import assignments_of, department_list

router = HandlerRouter("duty")


async def _command_part(ctx: Context, usage: str) -> tuple[Ticket, Assignment, str] | None:
    number, rest = split_number(ctx.args, usage)
    ticket = await find_ticket(number)
    part = await own_part(ctx, ticket, ctx.command)
    return (ticket, part, rest) if part is not None else None


def _state_reply(ctx: Context, ticket: Ticket, part: Assignment) -> None:
    ctx.reply("duty.already", department=part.department.name, number=ticket.number,
              state=ctx.say(f"duty.state_{part.state}"))


async def _on_duty(ctx: Context, ticket: Ticket, part: Assignment, click_code: str = "") -> None:
    if not await duty.report_for_duty(ctx.services, ticket, part, ctx.person, click_code=click_code):
        _state_reply(ctx, ticket, part)
        return
    due = deadlines(ctx.services.policy, ticket.urgency, part.notified_at)
    ctx.reply("duty.on_duty_ok", number=ticket.number, department=part.department.name,
              resolve_due=stamp(due.resolve_due))


async def _done(ctx: Context, ticket: Ticket, part: Assignment, note: str, click_code: str = "") -> None:
    if not await duty.finish(ctx.services, ticket, part, ctx.person, note, click_code=click_code):
        _state_reply(ctx, ticket, part)
        return
    waiting = await assignments_of(ticket, "notified", "on_duty", "in_progress")
    if waiting:
        ctx.reply("duty.done_ok_waiting", number=ticket.number, department=part.department.name,
                  departments=department_list(waiting))
    else:
        ctx.reply("duty.done_ok_all", number=ticket.number, department=part.department.name)


async def _return(ctx: Context, ticket: Ticket, part: Assignment, reason: str, click_code: str = "") -> None:
    if not reason:
        raise UserError("duty.return_needs_reason", number=ticket.number)
    if not await duty.hand_back(ctx.services, ticket, part, ctx.person, reason, click_code=click_code):
        _state_reply(ctx, ticket, part)
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
    if part.state not in ("notified", "on_duty", "in_progress"):
        _state_reply(ctx, ticket, part)
        return
    await duty.report_progress(ctx.services, ticket, part, ctx.person, text)
    ctx.reply("duty.progress_ok", number=ticket.number)


@router.command("duty_done")
async def done_command(ctx: Context) -> None:
    number, _ = split_number(ctx.args, "duty.usage_done")
    if await Request.filter(number=number, status="kept_in_grid").exists():
        # A grid member naturally types 办结 for a matter the grid keeps: close it as 村办结 would.
        await requests_village.close_by_words(ctx)
        return
    found = await _command_part(ctx, "duty.usage_done")
    if found:
        await _done(ctx, *found)


@router.command("duty_return")
async def return_command(ctx: Context) -> None:
    found = await _command_part(ctx, "duty.usage_return")
    if found:
        await _return(ctx, *found)


async def _ask_reason(ctx: Context, ticket: Ticket, part: Assignment, click_code: str) -> None:
    ctx.reply("duty.return_needs_reason", number=ticket.number)


async def _ask_progress(ctx: Context, ticket: Ticket, part: Assignment, click_code: str) -> None:
    ctx.reply("duty.progress_needs_text", number=ticket.number)


async def _done_click(ctx: Context, ticket: Ticket, part: Assignment, click_code: str) -> None:
    await _done(ctx, ticket, part, "", click_code)


# 签收 and 办结 act at once; 退单 and 进展 need words, so the liaison is asked for them.
CARD_ACTIONS = {"on": _on_duty, "done": _done_click, "return": _ask_reason, "progress": _ask_progress}


@router.card("duty:")
async def card_click(ctx: Context) -> None:
    """A button on a department's card: `duty:<action>:<ticket id>:<department code>`."""
    _, action, ticket_id, code = (str(ctx.inbound.extra.get("event_key", "")).split(":", 3) + ["", "", ""])[:4]
    ticket = await Ticket.get_or_none(id=int(ticket_id)) if ticket_id.isdigit() else None
    if ticket is None or action not in CARD_ACTIONS:
        raise UserError("whistle.ticket_not_found", number="")
    part = await own_part(ctx, ticket, f"card:{action}", code)
    if part is not None:
        await CARD_ACTIONS[action](ctx, ticket, part, str(ctx.inbound.extra.get("response_code", "")))
