"""Which open urgent matters someone has in hand, asked once for all of them: an act recorded on the
request or on its ticket counts, an act by nobody (the system) or a mere notice does not."""

from __future__ import annotations

from handlers.urgent.escalation import acknowledged
from models import Area, Person, Request, Ticket, TicketEvent


async def test_acts_on_the_request_or_its_ticket_count_and_system_events_do_not(db, clock) -> None:
    township = await Area.create(code="baishan", name="白山镇", level="township")
    cadre = await Person.create(userid="liuyang", name="刘洋")

    async def urgent(number: int) -> Request:
        return await Request.create(
            number=number,
            text="有人掉冰窟窿里了",
            channel="app",
            area=township,
            primary="emergency",
            urgency="urgent",
            created_at=clock.now(),
            updated_at=clock.now(),
        )

    on_request, on_ticket, by_system, untouched = [await urgent(n) for n in (1001, 1002, 1003, 1004)]
    await TicketEvent.create(request=on_request, actor=cadre, kind="urgent_ack", at=clock.now())
    ticket = await Ticket.create(number=1005, request=on_ticket, township=township, created_at=clock.now())
    await TicketEvent.create(ticket=ticket, actor=cadre, kind="on_duty", at=clock.now())
    await TicketEvent.create(request=by_system, kind="urgent_ack", at=clock.now())  # no actor: not a person's act
    await TicketEvent.create(request=untouched, actor=cadre, kind="urgent_call", at=clock.now())  # a call, not an act

    assert await acknowledged([on_request, on_ticket, by_system, untouched]) == {on_request.id, on_ticket.id}
    assert await acknowledged([by_system, untouched]) == set()
    assert await acknowledged([]) == set()
