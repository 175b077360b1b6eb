"""The list's flows run in chat: a village cadre starts one, the person responsible for each step records it,
deadlines come from the list, and a step overdue, skipped or done out of order raises the item's 失责预警.

Deadlines chain: a step is due its `days` after the step before it was recorded (or, not yet recorded, after
that step's own deadline); the first step, after the start. A step marked `working_days` in the list counts
working days of the county's calendar (weekends, holidays and make-up days of config/calendar.toml). A warning is a PowerWarning row, unique per
(flow, step, kind), and its messages carry outbox keys `powers:warn:{flow}:{step}:{kind}:{userid}`, so a
warning is raised once whoever runs twice. A public step, once recorded, is posted to the village's groups
(their webhooks, keys `powers:public:{flow}:{step}:{chat}`) and kept on the flow's trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.channels.types import Address, Outbound
from bot.outbox import enqueue
from config.errors import UserError
from config.powers_file import Item, PowersList
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.powers.cards import mark_card_done, send_step_card
from handlers.powers.format import when
from handlers.powers.people import SECRETARY, names, post_name, warned_people
from models import Area, Chat, Person, PowerEvent, PowerFlow, PowerStep, PowerWarning
from models.area_cache import area_required
from models.posts import holders
from models.power_states import StepState, complete_flow, record_step
from models.request_queries import area_ids_under


async def start_flow(
    services: Services, item: Item, village: Area, subject: str, starter: Person, now: datetime
) -> PowerFlow:
    flow = await PowerFlow.create(
        item=item.code, item_name=item.name, village=village, subject=subject, started_by=starter, started_at=now
    )
    due = now
    for position, step in enumerate(item.steps, 1):
        due = due_after(services, due, step.days, step.working_days)
        await PowerStep.create(
            flow=flow,
            position=position,
            name=step.name,
            who=step.who,
            post=step.post,
            what=step.what,
            days=step.days,
            public=step.public,
            due_at=due,
        )
    await PowerEvent.create(flow=flow, kind="started", actor=starter, at=now, data={"subject": subject})
    await tell_next(services, flow)
    return flow


async def steps_of(flow: PowerFlow) -> list[PowerStep]:
    return list(await PowerStep.filter(flow_id=flow.id).order_by("position"))


async def may_record(person: Person, flow: PowerFlow, step: PowerStep) -> bool:
    """The holder of the step's post records it; where the village has none, its secretary does."""
    responsible = await holders(flow.village_id, step.post)
    if responsible:
        return any(p.id == person.id for p in responsible)
    return any(p.id == person.id for p in await holders(flow.village_id, SECRETARY))


async def record(
    services: Services,
    powers: PowersList,
    flow: PowerFlow,
    step: PowerStep,
    person: Person,
    result: str,
    *,
    click_code: str = "",
) -> list[str]:
    """Record a step as done, by command or by its card (`click_code`: the tap's response_code); returns the
    warnings it raised (kinds). UserError when it may not be recorded."""
    now = services.clock.now()
    if not await may_record(person, flow, step):
        people = names(await holders(flow.village_id, step.post))
        raise UserError("powers.step.not_yours", post=post_name(step.post), people=people or "—")
    if not await record_step(step, now, done_by_id=person.id, result=result):
        raise UserError("powers.step.already", flow=flow.id, position=step.position, name=step.name)
    await PowerEvent.create(
        flow=flow, position=step.position, kind="step_done", actor=person, at=now, data={"result": result}
    )
    await mark_card_done(services, flow, step, person, result, click_code)
    steps = await steps_of(flow)
    raised: list[str] = []
    earlier = [s for s in steps if s.position < step.position and s.state == StepState.PENDING]
    later_done = [s for s in steps if s.position > step.position and s.state == StepState.DONE]
    for skipped in earlier:
        if await raise_warning(services, powers, flow, skipped, "skipped", now):
            raised.append("skipped")
    if (earlier or later_done) and await raise_warning(services, powers, flow, step, "out_of_order", now):
        raised.append("out_of_order")
    if now > step.due_at and await raise_warning(services, powers, flow, step, "overdue", now):
        raised.append("overdue")
    await rechain(services, powers.get(flow.item), steps)
    if step.public:
        await publish(services, flow, step, now)
    if all(s.state == StepState.DONE for s in steps):
        if await complete_flow(flow, now):
            await PowerEvent.create(flow=flow, kind="completed", at=now)
    else:
        await tell_next(services, flow)
    return raised


def due_after(services: Services, start: datetime, days: int, working_days: bool) -> datetime:
    if working_days:
        return services.calendar.calendar.add_working_days(start, days)
    return start + timedelta(days=days)


async def rechain(services: Services, item: Item | None, steps: list[PowerStep]) -> None:
    """Pending steps are due their days after the step before them was recorded (or was due); whether those are
    working days is the list's word for the step (calendar days if the item has left the list since)."""
    working = {n: s.working_days for n, s in enumerate(item.steps, 1)} if item is not None else {}
    anchor: datetime | None = None
    for step in steps:
        if step.state == StepState.PENDING and anchor is not None:
            due = due_after(services, anchor, step.days, working.get(step.position, False))
            if due != step.due_at:
                step.due_at = due
                await step.save(update_fields=["due_at"])
        anchor = step.done_at if step.state == StepState.DONE and step.done_at else step.due_at


async def raise_warning(
    services: Services, powers: PowersList, flow: PowerFlow, step: PowerStep, kind: str, now: datetime
) -> bool:
    """The item's 失责预警 to the step's post, the village secretary and the township; False if raised before."""
    try:
        async with in_transaction():  # a savepoint: a second raise rolls back only itself
            await PowerWarning.create(flow=flow, position=step.position, kind=kind, at=now)
    except IntegrityError:
        return False
    item = powers.get(flow.item)
    village = await area_required(flow.village_id)
    people = await warned_people(village, step.post, powers.township_roles)
    text = services.texts.render(
        "powers.warning.text",
        warning=item.warning if item and item.warning else flow.item_name,
        village=village.name,
        flow=flow.id,
        item=flow.item_name,
        subject=flow.subject,
        position=step.position,
        step=step.name,
        post=post_name(step.post),
        due=when(step.due_at),
        why=services.texts.render(f"powers.warning.kind.{kind}"),
    )
    userids = [p.userid for p in people if p.userid]
    await services.reach.people(userids, text=text, dedupe_key=f"powers:warn:{flow.id}:{step.position}:{kind}")
    await PowerEvent.create(
        flow=flow, position=step.position, kind="warned", at=now, data={"warning": kind, "to": [p.name for p in people]}
    )
    return True


async def publish(services: Services, flow: PowerFlow, step: PowerStep, now: datetime) -> None:
    """A public step to every group of the village that has a webhook, and onto the trail."""
    village = await area_required(flow.village_id)
    text = services.texts.render(
        "powers.public.text",
        village=village.name,
        item=flow.item_name,
        subject=flow.subject,
        step=step.name,
        result=step.result or services.texts.render("powers.public.no_result"),
        at=when(now),
    )
    chats = await Chat.filter(area_id__in=await area_ids_under(village)).exclude(webhook_key="").order_by("id")
    for chat in chats:
        message = Outbound(to=Address("webhook", chat.webhook_key), text=mask_private(text))
        await enqueue(message, now=now, dedupe_key=f"powers:public:{flow.id}:{step.position}:{chat.id}")
    await PowerEvent.create(
        flow=flow,
        position=step.position,
        kind="published",
        at=now,
        data={"text": text, "chats": [c.name for c in chats]},
    )


async def tell_next(services: Services, flow: PowerFlow) -> None:
    """The first pending step's responsible people get its card (handlers/powers/cards.py), once per step."""
    step = await PowerStep.filter(flow_id=flow.id, state=StepState.PENDING).order_by("position").first()
    if step is None:
        return
    people = await holders(flow.village_id, step.post) or await holders(flow.village_id, SECRETARY)
    await send_step_card(services, flow, step, people)


async def overdue_steps(now: datetime) -> list[PowerStep]:
    """Each running flow's step it waits on (its first pending step not already warned as skipped), when that
    step is past its deadline and not yet warned as overdue. The steps after it are not warned: their
    deadlines run again from when it is done."""
    pending = await PowerStep.filter(state=StepState.PENDING, flow__status="running").order_by("flow_id", "position")
    warned = await PowerWarning.filter(flow_id__in={s.flow_id for s in pending}, kind__in=("overdue", "skipped"))
    told = {(w.flow_id, w.position, w.kind) for w in warned}
    waiting: dict[int, PowerStep] = {}
    for step in pending:
        if step.flow_id not in waiting and (step.flow_id, step.position, "skipped") not in told:
            waiting[step.flow_id] = step
    return [s for s in waiting.values() if s.due_at < now and (s.flow_id, s.position, "overdue") not in told]
