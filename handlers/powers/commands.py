"""The small-powers list in chat: villagers' questions answered from it (any channel), their 没解决 / 满意, and
the flows (`权力 启动|完成|查看|清单`) run by the village's cadres."""

from __future__ import annotations

from config.errors import UserError
from config.powers_file import PowersList
from handlers.core.context import Context
from handlers.core.router import Router, SkipHandler
from handlers.powers import flows
from handlers.powers.answers import answer_question, satisfied, unsolved
from handlers.powers.cards import StepKey, chosen_result, results_of
from handlers.powers.matching import asks, item_of, match_question
from handlers.powers.people import names, post_name, village_of
from handlers.powers.trail import flow_lines
from handlers.requests.answers import recorded_answer
from handlers.requests.kf.service import ask_who_once
from handlers.requests.service import Recorded, sender_of
from models import Area, PostHolder, PowerFlow, PowerStep, Request
from models.posts import holders
from models.power_states import FlowState, StepState
from models.request_queries import latest_of_sender
from models.request_states import RATEABLE_STATES, STILL_BEING_SAID, RequestState

router = Router("powers")
VILLAGE_CADRE_ROLES = ("village_secretary", "first_secretary", "village_cadre")


def powers_of(ctx: Context) -> PowersList:
    if ctx.services.powers is None:
        raise UserError("powers.off")
    return ctx.services.powers


# -- villagers' questions ---------------------------------------------------------------------------------


@router.text()
async def question(ctx: Context) -> None:
    """A question the list answers; anything else goes on to the requests feature as before."""
    powers = ctx.services.powers
    text = ctx.inbound.text.strip()
    if powers is None or ctx.inbound.kind != "text" or not asks(powers, text) or item_of(powers, text) is None:
        raise SkipHandler  # the cheap checks first: most messages are routed once, by the requests feature
    decision = ctx.services.router().classify(text)
    match = None if decision.is_followup else match_question(powers, text, decision)
    village = await village_of(ctx.area) if match else None
    if match is None or village is None:
        raise SkipHandler
    sender = sender_of(ctx)
    burst = ctx.services.policy.requests.burst
    if await latest_of_sender(sender.channel, sender.ref, sender.person, STILL_BEING_SAID, since=ctx.now - burst):
        raise SkipHandler  # the villager is still telling a matter: this piece belongs to it
    await answer_question(ctx, sender, text, decision, match, village)
    await ask_who_once(ctx)


async def answered_of(ctx: Context) -> Request | None:
    """The sender's latest request answered from the list, unless a request awaiting a rating is newer."""
    sender = sender_of(ctx)
    answered = await latest_of_sender(sender.channel, sender.ref, sender.person, (RequestState.ANSWERED,))
    if answered is None:
        return None
    rateable = await latest_of_sender(sender.channel, sender.ref, sender.person, RATEABLE_STATES)
    return None if rateable is not None and rateable.updated_at > answered.updated_at else answered


@router.command("powers_unsolved")
@router.command("request_rate_unsatisfied")
async def not_solved(ctx: Context) -> None:
    """没解决 / 不满意 after an answer from the list: an ordinary request, sent where it belongs."""
    request = await answered_of(ctx)
    if request is None:
        raise SkipHandler
    await unsolved(ctx.services, request, actor=ctx.person, reason=ctx.inbound.typed(ctx.args))
    first = await recorded_answer(ctx.services, Recorded(request, request))
    ctx.reply("powers.unsolved", number=request.number, answer=first)


RATINGS = {"request_rate_satisfied": "satisfied", "request_rate_basic": "basically_satisfied"}


@router.command("request_rate_satisfied")
@router.command("request_rate_basic")
async def solved(ctx: Context) -> None:
    request = await answered_of(ctx)
    if request is None:
        raise SkipHandler
    await satisfied(ctx.services, request, RATINGS[ctx.command], actor=ctx.person)
    ctx.reply("powers.thanks", number=request.number)


# -- the list and its flows ---------------------------------------------------------------------------------


@router.command("powers", sub="list")
async def show_list(ctx: Context) -> None:
    powers = powers_of(ctx)
    lines = [ctx.say("powers.list.header", name=powers.name)]
    for item in powers.items:
        mark = ctx.say("powers.list.flow_mark") if item.is_flow else ""
        lines.append(ctx.say("powers.list.line", name=item.name, post=post_name(item.post), flow=mark))
    ctx.reply_text("\n".join(lines))


async def cadre_village(ctx: Context) -> Area:
    """The village whose cadre speaks; a villager or a township cadre may not start a flow."""
    village = await village_of(ctx.area)
    if ctx.person is None or village is None:
        raise UserError("powers.start.not_cadre")
    holds = await PostHolder.exists(person_id=ctx.person.id, village_id=village.id)
    if not holds and not ctx.has_role(*VILLAGE_CADRE_ROLES):
        raise UserError("powers.start.not_cadre")
    return village


@router.command("powers", sub="start")
async def start(ctx: Context) -> None:
    """权力 启动 大额资金 修缮村部 8万元"""
    powers = powers_of(ctx)
    word, _, subject = ctx.args.strip().partition(" ")
    item = powers.find(word)
    if not word or not subject.strip():
        raise UserError("powers.start.usage")
    if item is None or not item.is_flow:
        flows_named = "、".join(i.name for i in powers.flows)
        raise UserError("powers.start.unknown", word=word, flows=flows_named)
    village = await cadre_village(ctx)
    flow = await flows.start_flow(ctx.services, item, village, subject.strip(), ctx.speaker, ctx.now)
    first = await PowerStep.get(flow_id=flow.id, position=1)
    ctx.reply(
        "powers.start.done",
        flow=flow.id,
        item=item.name,
        subject=flow.subject,
        steps=len(item.steps),
        step=first.name,
        post=post_name(first.post),
        due=flows.when(first.due_at),
    )


def _number(word: str) -> int | None:
    word = word.strip().lstrip("#＃")
    return int(word) if word.isdigit() else None


async def flow_named(word: str) -> PowerFlow:
    number = _number(word)
    flow = await PowerFlow.get_or_none(id=number) if number is not None else None
    if flow is None:
        raise UserError("powers.flow.unknown", word=word)
    return flow


@router.command("powers", sub="done")
async def done(ctx: Context) -> None:
    """权力 完成 流程号 步骤（序号或名称） [结果]"""
    powers = powers_of(ctx)
    parts = ctx.args.split(maxsplit=2)
    if len(parts) < 2 or ctx.person is None:
        raise UserError("powers.step.usage")
    flow = await flow_named(parts[0])
    steps = await flows.steps_of(flow)
    position = _number(parts[1])
    step = next((s for s in steps if s.position == position or s.name == parts[1]), None)
    if step is None:
        raise UserError("powers.step.unknown", flow=flow.id, steps="、".join(f"{s.position}.{s.name}" for s in steps))
    if flow.status != FlowState.RUNNING:
        raise UserError("powers.flow.finished", flow=flow.id)
    result = ctx.inbound.typed(parts[2]) if len(parts) > 2 else ""
    raised = await flows.record(ctx.services, powers, flow, step, ctx.speaker, result)
    warned = "".join(ctx.say(f"powers.step.warned.{kind}") for kind in raised)
    ctx.reply("powers.step.done", flow=flow.id, position=step.position, step=step.name, warned=warned)


@router.card(StepKey)
async def done_by_card(ctx: Context) -> None:
    """完成 on a step card with a result picked: recorded exactly as `权力 完成` records it."""
    powers = powers_of(ctx)
    key = ctx.clicked(StepKey)
    flow = await PowerFlow.get_or_none(id=key.flow_id)
    step = await PowerStep.get_or_none(flow_id=key.flow_id, position=key.position)
    if flow is None or step is None:
        raise UserError("powers.card.gone")
    if ctx.person is None:
        people = names(await holders(flow.village_id, step.post))
        raise UserError("powers.step.not_yours", post=post_name(step.post), people=people or "—")
    if step.state == StepState.DONE:
        raise UserError("powers.step.already", flow=flow.id, position=step.position, name=step.name)
    if flow.status != FlowState.RUNNING:
        raise UserError("powers.flow.finished", flow=flow.id)
    results = results_of(ctx.services, powers, flow, step)
    result = chosen_result(results, ctx.inbound.extra.get("selected_items") or [])
    if result is None:  # the tap has greyed the card for the tapper: the command is the way on
        raise UserError("powers.card.pick", flow=flow.id, position=step.position, example=results[0])
    click = str(ctx.inbound.extra.get("response_code", ""))
    raised = await flows.record(ctx.services, powers, flow, step, ctx.person, result, click_code=click)
    warned = "".join(ctx.say(f"powers.step.warned.{kind}") for kind in raised)
    ctx.reply(
        "powers.step.done_card", flow=flow.id, position=step.position, step=step.name, result=result, warned=warned
    )


@router.command("powers", sub="show")
async def show(ctx: Context) -> None:
    """权力 查看 流程号: the flow's steps and trail."""
    powers_of(ctx)
    flow = await flow_named(ctx.args.strip())
    village = await village_of(ctx.area)
    if village is None or village.id != flow.village_id:
        township_ok = ctx.has_role("township_committee", "county_admin", "admin")
        if not township_ok:
            raise UserError("powers.flow.not_yours", flow=flow.id)
    ctx.reply_text("\n".join(await flow_lines(ctx.services.texts, flow)))


@router.command("powers")
async def usage(ctx: Context) -> None:
    powers_of(ctx)
    ctx.reply("powers.usage")
