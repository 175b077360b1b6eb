"""换班: a cadre hands their post of a shift to another (or exchanges it for the other's post of another shift);
both confirm by one tap, and only then does the roster change.

`换班 11-18 夜班 王军` (王军 takes my post) or `换班 11-18 夜班 王军 11-20 白班` (and I take his of the 20th).
The asker first gets a card to confirm (a name typed wrong costs nothing); their tap sends the other a card;
the other's tap makes the swap, if both posts are still held as they were asked. The keys carry the whole
request, so nothing waits in a table; the cards' dedupe keys make every message once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from tortoise.transactions import in_transaction

from bot.channels.types import Button, Card
from config.errors import UserError
from handlers.core.card_keys import CardKey
from handlers.core.context import Context, Services
from handlers.shifts import words
from handlers.shifts.people import person_named
from handlers.tickets.cards import update_card
from models import DutySlot, Person, Role
from models.area_tree import AreaTree


@dataclass(frozen=True)
class SwapKey(CardKey):
    """`shift:<step>:<slot id>:<from person id>:<to person id>:<the other's slot id, 0 for none>`."""

    scheme: ClassVar[str] = "shift"
    step: Literal["ask", "agree"]
    slot_id: int
    from_id: int
    to_id: int
    back_id: int


def _task(key: SwapKey) -> str:
    return f"gw-shift-{key.step}-{key.slot_id}-{key.from_id}-{key.to_id}-{key.back_id}"


async def _describe(ctx: Context | Services, slot: DutySlot) -> str:
    say = ctx.say if isinstance(ctx, Context) else ctx.texts.render
    area = await slot.area
    return say(
        "shifts.swap_post",
        day=f"{slot.day:%m-%d}",
        shift=say(f"shifts.shift_{slot.shift}"),
        area=area.name,
        post=say(f"shifts.post_{slot.post}"),
    )


async def _card(services: Services, key: SwapKey, asker: Person, other: Person) -> Card:
    texts = services.texts
    slot = await DutySlot.get(id=key.slot_id)
    back = await DutySlot.get_or_none(id=key.back_id) if key.back_id else None
    names = {"asker": asker.name, "other": other.name}
    what = texts.render("shifts.swap_give", **names, post=await _describe(services, slot))
    if back is not None:
        what += texts.render("shifts.swap_take", **names, post=await _describe(services, back))
    title = "shifts.swap_title_ask" if key.step == "ask" else "shifts.swap_title_agree"
    button = "shifts.swap_button_ask" if key.step == "ask" else "shifts.swap_button_agree"
    return Card(
        task_id=_task(key),
        title=texts.render(title, name=asker.name),
        description=what,
        buttons=(Button(str(key), texts.render(button)),),
    )


async def ask(ctx: Context) -> None:
    """`换班 <day> <shift> <name> [<day> <shift>]`: the asker's confirmation card."""
    parts = ctx.args.split()
    if len(parts) not in (3, 5):
        raise UserError("shifts.usage_swap")
    day, shift = words.day_of(ctx, parts[0]), words.shift_of(ctx, parts[1])
    if day is None or shift is None:
        raise UserError("shifts.usage_swap")
    me = ctx.speaker
    slot = await DutySlot.filter(person_id=me.id, day=day, shift=shift).order_by("id").first()
    if slot is None:
        raise UserError("shifts.swap_not_yours", day=f"{day:%m-%d}", shift=words.shift_name(ctx, shift))
    other = await person_named(ctx, await AreaTree.load(), await slot.area, parts[2])
    if other.id == me.id or not other.userid:
        raise UserError("shifts.usage_swap")
    back_id = 0
    if len(parts) == 5:
        day2, shift2 = words.day_of(ctx, parts[3]), words.shift_of(ctx, parts[4])
        if day2 is None or shift2 is None:
            raise UserError("shifts.usage_swap")
        back = await DutySlot.filter(person_id=other.id, day=day2, shift=shift2).order_by("id").first()
        if back is None:
            raise UserError(
                "shifts.swap_other_not_on", name=other.name, day=f"{day2:%m-%d}", shift=words.shift_name(ctx, shift2)
            )
        back_id = back.id
    key = SwapKey("ask", slot.id, me.id, other.id, back_id)
    await ctx.services.reach.person(
        ctx.inbound.sender, card=await _card(ctx.services, key, me, other), dedupe_key=f"card:{_task(key)}"
    )


async def clicked(ctx: Context) -> None:
    key = ctx.clicked(SwapKey)
    asker = await Person.get_or_none(id=key.from_id)
    other = await Person.get_or_none(id=key.to_id)
    slot = await DutySlot.get_or_none(id=key.slot_id)
    me = ctx.person
    if asker is None or other is None or slot is None or me is None:
        raise UserError("shifts.swap_gone")
    if me.id != (asker.id if key.step == "ask" else other.id):
        raise UserError("shifts.swap_not_for_you")
    if slot.person_id == other.id:
        ctx.reply("shifts.swap_done_already")
    elif slot.person_id != asker.id:
        raise UserError("shifts.swap_stale")
    elif key.step == "ask":
        agree = SwapKey("agree", key.slot_id, key.from_id, key.to_id, key.back_id)
        await ctx.services.reach.person(
            other.userid or "", card=await _card(ctx.services, agree, asker, other), dedupe_key=f"card:{_task(agree)}"
        )
        ctx.reply("shifts.swap_asked", name=other.name)
    else:
        await _make(ctx, key, slot, asker, other)
    click = str(ctx.inbound.extra.get("response_code", ""))
    done = "shifts.swap_card_asked" if key.step == "ask" else "shifts.swap_card_agreed"
    await update_card(
        ctx.services, [ctx.inbound.sender], task_id=_task(key), click_code=click, replace_name=ctx.say(done)
    )


async def _make(ctx: Context, key: SwapKey, slot: DutySlot, asker: Person, other: Person) -> None:
    """Both posts change in one transaction, and only if each is still held by whom the swap was asked of."""
    async with in_transaction():
        moved = await DutySlot.filter(id=slot.id, person_id=asker.id).update(person_id=other.id, updated_at=ctx.now)
        back_moved = 1
        if key.back_id:
            back_moved = await DutySlot.filter(id=key.back_id, person_id=other.id).update(
                person_id=asker.id, updated_at=ctx.now
            )
        if not moved or not back_moved:
            raise UserError("shifts.swap_stale")  # rolls the other post back too
    what = await _describe(ctx, slot)
    back = await DutySlot.get_or_none(id=key.back_id) if key.back_id else None
    if back is not None:
        what += ctx.say("shifts.swap_and", post=await _describe(ctx, back))
    text = ctx.say("shifts.swap_made", asker=asker.name, other=other.name, what=what)
    ctx.reply_text(text)
    area = await slot.area
    policy = ctx.services.policy.shifts
    roles = policy.village_manager_roles if area.level == "village" else policy.township_manager_roles
    keepers = [r.person for r in await Role.filter(area_id=area.id, role__in=roles).prefetch_related("person")]
    for person in {p.id: p for p in [asker, *keepers]}.values():
        if person.userid and person.id != other.id:
            await ctx.services.reach.person(
                person.userid, text=text, dedupe_key=f"shifts:swap:{_task(key)}:{person.userid}"
            )
