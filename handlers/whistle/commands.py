"""吹哨 / 改派 / 督办 / 哨单 / 统计: the township committee's commands (1:1 with the app or in the township group),
and the confirmation card's buttons (`whistle:confirm:<request number>`, `whistle:reassign:<request number>`).
"""

from __future__ import annotations

from functools import cache

from config.errors import UserError
from config.subcommands import Subcommands
from handlers.whistle import service as whistle
from handlers.core.context import Context, HandlerRouter
from handlers.tickets.lookup import committee_townships, find_ticket, require_committee, split_number
from handlers.tickets.cards import stamp
from handlers.tickets.departments import DepartmentNames
from handlers.whistle.lists import township_lines
from handlers.whistle.new import new_matter
from handlers.whistle.stats import stats_reply
from models import Area, Department, Request, Ticket, TicketEvent
from models.ticket_queries import ACTIVE_STATES, ancestor_at, assignments_of, department_list

router = HandlerRouter("whistle")


@cache
def words(command: str) -> Subcommands:
    return Subcommands.load(command)  # shipped data, read once per process


async def township_of_request(request: Request) -> Area | None:
    return await ancestor_at(await Area.get_or_none(id=request.area_id) if request.area_id else None, "township")


async def proposed_departments(request: Request) -> list[Department]:
    """What the confirmation card showed, else the router's decision."""
    event = await TicketEvent.filter(request_id=request.id, kind="proposed").order_by("-id").first()
    codes = list(event.data.get("departments", [])) if event else []
    by_code = {d.code: d for d in await Department.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code] or await whistle.routed_departments(request)


async def _whistle_request(ctx: Context, request: Request, rest: str, click_code: str = "") -> None:
    township = await township_of_request(request)
    if not await require_committee(ctx, "whistle", township.id if township else None):
        return
    departments, note = (await DepartmentNames.load()).split(rest, required=False)
    if request.status not in whistle.WHISTLEABLE:
        ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
        if ticket is None:
            raise UserError("whistle.not_whistleable", number=request.number)
        added = await whistle.add_departments(ctx.services, ticket, departments, actor=ctx.person, note=note) \
            if departments and ticket.status == "open" else []
        if not added:
            raise UserError("whistle.already", request_number=request.number, number=ticket.number)
        ctx.reply("whistle.added", number=ticket.number, departments="、".join(d.name for d in added))
        return
    departments = departments or await proposed_departments(request)
    if not departments:
        raise UserError("whistle.no_department")
    ticket = await whistle.blow(ctx.services, request, departments, actor=ctx.person, note=note, click_code=click_code)
    if ticket is None:
        raise UserError("whistle.not_whistleable", number=request.number)
    ctx.reply("whistle.done", number=ticket.number, request_number=request.number,
              departments="、".join(d.name for d in departments), respond_due=stamp(ticket.respond_due),
              resolve_due=stamp(ticket.resolve_due))


@router.command("whistle")
async def whistle_command(ctx: Context) -> None:
    found = words("whistle").split(ctx.args)
    if found is not None and found[0] == "new":
        if await require_committee(ctx, "whistle new"):
            await new_matter(ctx, found[1])
        return
    number, rest = split_number(ctx.args, "whistle.usage")
    request = await Request.get_or_none(number=number)
    if request is None:
        ticket = await Ticket.get_or_none(number=number)
        if ticket is None:
            raise UserError("whistle.request_not_found", number=number)
        request = await Request.get(id=ticket.request_id)
    await _whistle_request(ctx, request, rest)


@router.command("whistle_reassign")
async def reassign_command(ctx: Context) -> None:
    number, rest = split_number(ctx.args, "whistle.usage_reassign")
    ticket = await Ticket.get_or_none(number=number)
    request = await Request.get_or_none(number=number) if ticket is None else None
    if ticket is None and request is not None:
        ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
    if ticket is None and request is not None:  # not whistled yet: correct the routing and whistle now
        township = await township_of_request(request)
        if await require_committee(ctx, "reassign", township.id if township else None):
            departments, reason = (await DepartmentNames.load()).split(rest)
            if request.status not in whistle.WHISTLEABLE:
                raise UserError("whistle.not_whistleable", number=request.number)
            made = await whistle.reassign_proposal(ctx.services, request, departments, actor=ctx.person, reason=reason)
            if made is None:
                raise UserError("whistle.not_whistleable", number=request.number)
            ctx.reply("whistle.done", number=made.number, request_number=request.number,
                      departments="、".join(d.name for d in departments), respond_due=stamp(made.respond_due),
                      resolve_due=stamp(made.resolve_due))
        return
    if ticket is None:
        raise UserError("whistle.ticket_not_found", number=number)
    if not await require_committee(ctx, "reassign", ticket.township_id, ticket):
        return
    if ticket.status != "open":
        raise UserError("whistle.not_open", number=ticket.number)
    departments, reason = (await DepartmentNames.load()).split(rest)
    replaced = await whistle.reassign(ctx.services, ticket, departments, actor=ctx.person, reason=reason)
    ctx.reply("whistle.reassigned", number=ticket.number, replaced=department_list(replaced) or "-",
              departments="、".join(d.name for d in departments))


@router.command("whistle_urge")
async def urge_command(ctx: Context) -> None:
    number, reason = split_number(ctx.args, "whistle.usage_urge")
    ticket = await find_ticket(number)
    if not await require_committee(ctx, "urge", ticket.township_id, ticket):
        return
    if not await assignments_of(ticket, *ACTIVE_STATES):
        raise UserError("whistle.nothing_to_urge", number=ticket.number)
    parts = await whistle.urge(ctx.services, ticket, actor=ctx.person, reason=reason)
    ctx.reply("whistle.urged", number=ticket.number, departments=department_list(parts))


@router.command("whistle_list")
async def list_command(ctx: Context) -> None:
    if not await require_committee(ctx, "list"):
        return
    found = words("whistle_list").split(ctx.args)
    which = found[0] if found else ""
    for township_id in committee_townships(ctx):
        township = await Area.get(id=township_id)
        lines = await township_lines(ctx.services, township_id, which, ctx.now)
        title = ctx.say(f"whistle.list_title_{which or 'open'}", township=township.name, count=len(lines))
        ctx.reply_text("\n".join([title, *lines]) if lines else ctx.say("whistle.list_empty", township=township.name))


@router.command("whistle_stats")
async def stats_command(ctx: Context) -> None:
    if not await require_committee(ctx, "stats"):
        return
    found = words("whistle_stats").split(ctx.args)
    for township_id in committee_townships(ctx):
        ctx.reply_text(await stats_reply(ctx, township_id, found[0] if found else "this_month"))


@router.card("whistle:")
async def confirm_click(ctx: Context) -> None:
    """确认吹哨 sends the request on as proposed; 改派 asks for the departments in words."""
    _, action, number = (str(ctx.inbound.extra.get("event_key", "")).split(":", 2) + ["", ""])[:3]
    request = await Request.get_or_none(number=int(number)) if number.isdigit() else None
    if request is None:
        raise UserError("whistle.request_not_found", number=number)
    if action == "confirm":
        await _whistle_request(ctx, request, "", str(ctx.inbound.extra.get("response_code", "")))
    else:
        township = await township_of_request(request)
        if await require_committee(ctx, "reassign", township.id if township else None):
            ctx.reply("whistle.reassign_how", number=request.number)
