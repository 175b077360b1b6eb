"""吹哨 / 改派 / 督办 / 哨单 / 统计: the township committee's commands (1:1 with the app or in the township group),
and the confirmation card's buttons (WhistleKey). Only committee members may use them: the COMMITTEE filter,
and require_committee where the matter is known (of their own township; a refusal is kept on a ticket's trail).
"""

from __future__ import annotations

from config.errors import UserError
from handlers.common.numbers import split_number
from handlers.core.context import Context
from handlers.core.router import Router
from handlers.tickets.departments import DepartmentNames
from handlers.tickets.lookup import COMMITTEE, committee_townships, find_ticket, require_committee
from handlers.whistle.lists import LIST_KINDS, township_lines
from handlers.whistle.proposal import RunnerUpKey, WhistleKey
from handlers.whistle.reassign import add_departments, keep_correction, reassign, reassign_proposal
from handlers.whistle.replies import ask_about_unknown, reply_whistled
from handlers.whistle.service import blow, routed_departments
from handlers.whistle.stats import MONTHS, stats_reply
from handlers.whistle.urge import urge
from models import Area, Department, Request, Ticket, TicketEvent
from models.area_cache import area_of, area_required, departments_by_code
from models.assignment_states import ACTIVE_STATES
from models.request_states import WHISTLEABLE
from models.ticket_queries import ancestor_at, assignments_of, department_list
from models.ticket_states import TicketState

router = Router("whistle")


async def township_of_request(request: Request) -> Area | None:
    return await ancestor_at(await area_of(request.area_id), "township")


async def proposed_departments(request: Request) -> list[Department]:
    """What the confirmation card showed, else the router's decision."""
    event = await TicketEvent.filter(request_id=request.id, kind="proposed").order_by("-id").first()
    codes = list(event.data.get("departments", [])) if event else []
    by_code = await departments_by_code(codes)
    return [by_code[c] for c in codes if c in by_code] or await routed_departments(request)


async def _whistle_request(ctx: Context, request: Request, rest: str, click_code: str = "") -> None:
    """Whistle a request to the departments named (or proposed), or add the named ones to its ticket when
    it was whistled already; names that match no department are asked about, the others acted on."""
    township = await township_of_request(request)
    if not await require_committee(ctx, "whistle", township.id if township else None, number=request.number):
        return
    named = (await DepartmentNames.load()).read(rest)
    departments, note = named.departments, named.rest
    if request.status not in WHISTLEABLE:
        ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
        if ticket is None:
            raise UserError("whistle.not_whistleable", number=request.number)
        if ticket.status != TicketState.OPEN or not (departments or named.unknown):
            raise UserError("whistle.already", request_number=request.number, number=ticket.number)
        added = await add_departments(ctx.services, ticket, departments, actor=ctx.speaker, note=note)
        if added:
            ctx.reply("whistle.added", number=ticket.number, departments="、".join(d.name for d in added))
        elif departments:
            ctx.reply("whistle.already_there", number=ticket.number, departments="、".join(d.name for d in departments))
        ask_about_unknown(ctx, request, named.unknown)
        return
    if named.unknown and not departments:  # what they meant is unknown: whistle nothing yet
        ask_about_unknown(ctx, request, named.unknown)
        return
    chosen = bool(departments)
    departments = departments or await proposed_departments(request)
    if not departments:
        raise UserError("whistle.no_department")
    ticket = await blow(ctx.services, request, departments, actor=ctx.speaker, note=note, click_code=click_code)
    if ticket is None:
        raise UserError("whistle.not_whistleable", number=request.number)
    if chosen:  # 吹哨 naming another primary than the router's corrects the routing
        await keep_correction(ctx.services, request, departments[0], via="whistle")
    reply_whistled(ctx, ticket, request, departments)
    ask_about_unknown(ctx, request, named.unknown)


@router.command("whistle", COMMITTEE)
async def whistle_command(ctx: Context) -> None:
    """`吹哨 #N [部门…] [说明]` (`吹哨 新 …` is handlers/whistle/new.py)."""
    number, rest = split_number(ctx.args, "whistle.usage")
    request = await Request.get_or_none(number=number)
    if request is None:
        ticket = await Ticket.get_or_none(number=number)
        if ticket is None:
            raise UserError("whistle.request_not_found", number=number)
        request = await Request.get(id=ticket.request_id)
    await _whistle_request(ctx, request, rest)


@router.command("whistle_reassign")  # refused on the ticket's trail: require_committee
async def reassign_command(ctx: Context) -> None:
    number, rest = split_number(ctx.args, "whistle.usage_reassign")
    ticket = await Ticket.get_or_none(number=number)
    request = await Request.get_or_none(number=number) if ticket is None else None
    if ticket is None and request is not None:
        ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
    if ticket is None and request is not None:  # not whistled yet: correct the routing and whistle now
        township = await township_of_request(request)
        if await require_committee(ctx, "reassign", township.id if township else None, number=request.number):
            departments, reason = (await DepartmentNames.load()).split(rest)
            if request.status not in WHISTLEABLE:
                raise UserError("whistle.not_whistleable", number=request.number)
            made = await reassign_proposal(ctx.services, request, departments, actor=ctx.speaker, reason=reason)
            if made is None:
                raise UserError("whistle.not_whistleable", number=request.number)
            reply_whistled(ctx, made, request, departments)
        return
    if ticket is None:
        raise UserError("whistle.ticket_not_found", number=number)
    if not await require_committee(ctx, "reassign", ticket.township_id, ticket):
        return
    if ticket.status != TicketState.OPEN:
        raise UserError("whistle.not_open", number=ticket.number)
    departments, reason = (await DepartmentNames.load()).split(rest)
    replaced = await reassign(ctx.services, ticket, departments, actor=ctx.speaker, reason=reason)
    ctx.reply(
        "whistle.reassigned",
        number=ticket.number,
        replaced=department_list(replaced) or "-",
        departments="、".join(d.name for d in departments),
    )


@router.command("whistle_urge")  # refused on the ticket's trail: require_committee
async def urge_command(ctx: Context) -> None:
    number, reason = split_number(ctx.args, "whistle.usage_urge")
    ticket = await find_ticket(number)
    if not await require_committee(ctx, "urge", ticket.township_id, ticket):
        return
    if not await assignments_of(ticket, *ACTIVE_STATES):
        raise UserError("whistle.nothing_to_urge", number=ticket.number)
    parts = await urge(ctx.services, ticket, actor=ctx.speaker, reason=ctx.inbound.typed(reason))
    ctx.reply("whistle.urged", number=ticket.number, departments=department_list(parts))


async def list_command(ctx: Context) -> None:
    """`哨单 [未签收|超时|本周]`: the township's open tickets, or those of one kind."""
    which = ctx.sub
    for township_id in committee_townships(ctx):
        township = await area_required(township_id)
        lines = await township_lines(ctx.services, township_id, which, ctx.now)
        title = ctx.say(f"whistle.list_title_{which or 'open'}", township=township.name, count=len(lines))
        ctx.reply_text("\n".join([title, *lines]) if lines else ctx.say("whistle.list_empty", township=township.name))


async def stats_command(ctx: Context) -> None:
    """`统计 [本月|上月]`: the township's rates (this month when no month is named)."""
    for township_id in committee_townships(ctx):
        ctx.reply_text(await stats_reply(ctx, township_id, ctx.sub or "this_month"))


for kind in ("", *LIST_KINDS):  # the kinds are declared subcommands: [subcommands.whistle_list]
    router.command("whistle_list", COMMITTEE, sub=kind or None)(list_command)
for month in ("", *MONTHS):  # [subcommands.whistle_stats]
    router.command("whistle_stats", COMMITTEE, sub=month or None)(stats_command)


@router.card(WhistleKey, COMMITTEE)
async def confirm_click(ctx: Context) -> None:
    """确认吹哨 sends the request on as proposed; 改派 asks for the departments in words."""
    key = ctx.clicked(WhistleKey)
    request = await Request.get_or_none(number=key.request_number)
    if request is None:
        raise UserError("whistle.request_not_found", number=key.request_number)
    if key.action == "confirm":
        await _whistle_request(ctx, request, "", str(ctx.inbound.extra.get("response_code", "")))
        return
    township = await township_of_request(request)
    if await require_committee(ctx, "reassign", township.id if township else None, number=request.number):
        ctx.reply("whistle.reassign_how", number=request.number)


@router.card(RunnerUpKey, COMMITTEE)
async def runner_up_click(ctx: Context) -> None:
    """改交…: whistle the request to a department the router considered close instead of its choice
    (the proposed assisting departments stay); kept as a correction of the routing."""
    key = ctx.clicked(RunnerUpKey)
    request = await Request.get_or_none(number=key.request_number)
    if request is None:
        raise UserError("whistle.request_not_found", number=key.request_number)
    township = await township_of_request(request)
    if not await require_committee(ctx, "whistle", township.id if township else None, number=request.number):
        return
    department = await Department.get_or_none(code=key.department)
    if department is None:  # a card from before the county's departments changed
        raise UserError("whistle.no_department")
    if request.status not in WHISTLEABLE:
        ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
        if ticket is None:
            raise UserError("whistle.not_whistleable", number=request.number)
        raise UserError("whistle.already", request_number=request.number, number=ticket.number)
    proposed = await proposed_departments(request)
    departments = [department, *(d for d in proposed[1:] if d.id != department.id)]
    click_code = str(ctx.inbound.extra.get("response_code", ""))
    ticket = await reassign_proposal(
        ctx.services, request, departments, actor=ctx.speaker, reason="", via="runner_up", click_code=click_code
    )
    if ticket is None:
        raise UserError("whistle.not_whistleable", number=request.number)
    reply_whistled(ctx, ticket, request, departments)
