"""Finding the ticket a command names, and whether the speaker may act on it (their township, their part)."""

from __future__ import annotations

from config.errors import UserError
from handlers.core.context import Context
from handlers.core.filters import Roles
from handlers.tickets.audit import refused
from models import Assignment, Ticket
from models.ticket_queries import assignments_of, ticket_by_number

COMMITTEE = Roles(("township_committee",), "whistle.not_committee")  # the filter of the township's commands


async def find_ticket(number: int) -> Ticket:
    ticket = await ticket_by_number(number)
    if ticket is None:
        raise UserError("whistle.ticket_not_found", number=number)
    return ticket


def committee_townships(ctx: Context) -> list[int]:
    return [role.area_id for role in ctx.roles_named("township_committee") if role.area_id is not None]


async def require_committee(
    ctx: Context, what: str, township_id: int | None = None, ticket: Ticket | None = None, number: int | None = None
) -> bool:
    """Only township committee members of the matter's township. Replies and logs a refusal, on the ticket's
    trail when it is known (commands filtered by COMMITTEE have passed the first half already). number: the
    request's, when there is no ticket yet, so the refusal still names the matter."""
    townships = committee_townships(ctx)
    if not townships:
        why = "not a township committee member"
        ctx.reply("whistle.not_committee")
    elif township_id is not None and township_id not in townships:
        why = "committee member of another township"
        number = ticket.number if ticket is not None else number
        if number is not None:
            ctx.reply("whistle.other_township", number=number)
        else:  # nothing to name: a reply without a number, not "# 不属于…"
            ctx.reply("whistle.other_township_unnamed")
    else:
        return True
    await refused(what, ctx.now, person=ctx.person, sender=ctx.inbound.sender, why=why, ticket=ticket)
    return False


async def own_part(ctx: Context, ticket: Ticket, what: str, department_code: str | None = None) -> Assignment | None:
    """The speaker's department's part in the ticket; None (with a polite reply, logged) when they have none."""
    mine = {role.department.code for role in ctx.roles_named("liaison") if role.department is not None}
    if department_code is not None:
        mine &= {department_code}
    part = next((a for a in await assignments_of(ticket) if a.department.code in mine), None)
    if part is None:
        ctx.reply("duty.not_liaison", number=ticket.number)
        await refused(
            what,
            ctx.now,
            person=ctx.person,
            sender=ctx.inbound.sender,
            why="not a liaison of a department on the ticket",
            ticket=ticket,
        )
    return part
