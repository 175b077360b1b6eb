"""From a stored inbound message to handler work: who is speaking, where, which handler, then the answer.

Each inbox row is processed in one transaction: the handler's writes, the outbox rows of its answer and
notices, and the row's `done` mark commit together, so a crash replays the message and nothing doubles.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from tortoise.transactions import in_transaction

from bot.channels.types import Address, Inbound, Outbound
from bot.outbox import enqueue
from config.errors import UserError
from handlers.core.card_keys import CardKey
from handlers.core.context import Context, Services
from handlers.core.router import MESSAGE_KINDS, Registered, Router, run_first
from models import Area, Chat, Household, InboxMessage, KfCustomer, Person, Role
from nlp.privacy import mask_private

log = logging.getLogger(__name__)

# Roles whose own area is where they speak from (for a cadre the chat's area is more telling).
HOME_ROLES = ("villager", "grid_member", "village_cadre", "village_secretary", "first_secretary")


class Dispatcher:
    def __init__(self, services: Services, features: list[Router], on_enqueued: Callable[[], None] = lambda: None):
        self.services = services
        self.on_enqueued = on_enqueued
        self.root = Router("features")
        for feature in features:
            self.root.include_router(feature)

    async def process(self, inbox_id: int) -> None:
        """Handle one stored message exactly once (a row already done is skipped)."""
        async with in_transaction():
            row = await InboxMessage.filter(id=inbox_id, status="pending").select_for_update().first()
            if row is None:
                return
            inbound = Inbound.from_json(row.payload)
            ctx = Context(inbound=inbound, services=self.services, now=self.services.clock.now())
            try:
                async with in_transaction():  # a savepoint: a failing handler leaves nothing half-written
                    await self._handle(ctx)
            except UserError as exc:
                ctx.replies = [ctx.say(exc.key, **exc.params)]
                ctx.reply_cards = []
            except Exception:
                trace_id = uuid.uuid4().hex[:8]
                log.exception("handling inbox row %s failed (trace %s)", inbox_id, trace_id)
                ctx.replies = [ctx.say("common.error", trace_id=trace_id)] if not inbound.is_group else []
                ctx.reply_cards = []
                row.error = f"trace {trace_id}"
            await self._answer(ctx, inbox_id)
            row.status = "done"
            row.attempts += 1
            row.processed_at = ctx.now
            await row.save(update_fields=["status", "attempts", "processed_at", "error"])
        self.on_enqueued()

    async def _handle(self, ctx: Context) -> None:
        await self._identify(ctx)
        if ctx.inbound.is_group and ctx.chat is None:
            await self._unregistered_chat(ctx)
            return
        await self._route(ctx)

    async def _route(self, ctx: Context) -> None:
        """A card click goes by its key's scheme; anything else to the handlers of its kind, then (text and
        voice) to its command's, then to free text."""
        inbound, root = ctx.inbound, self.root
        if inbound.kind == "card_click":
            key = str(inbound.extra.get("event_key", ""))
            kind, handlers = root.for_card(CardKey.scheme_of(key))
            ctx.card_key = kind.parse(key) if kind is not None else None
            if ctx.card_key is None:
                raise UserError("common.bad_card")
            await run_first(ctx, handlers)
            return
        if await run_first(ctx, root.for_kind(inbound.kind)) or inbound.kind not in MESSAGE_KINDS:
            return
        match = self.services.commands.match(inbound.folded) if inbound.kind in ("text", "voice") else None
        if match is not None:
            ctx.command, ctx.args = match
            if await run_first(ctx, self._command_handlers(ctx)):
                return
            ctx.command, ctx.args = "", ""  # every handler of the command declined: it is free text
        await run_first(ctx, root.for_text())

    def _command_handlers(self, ctx: Context) -> list[Registered]:
        """The handlers of the declared subcommand the arguments start with, else those of the bare command."""
        registered = self.root.for_command(ctx.command)
        words = self.services.subcommands.get(ctx.command)
        found = words.split(ctx.args) if words is not None else None
        if found is not None:
            matching = [r for r in registered if r.sub == found[0]]
            if matching:
                ctx.sub, ctx.args = found
                return matching
        return [r for r in registered if r.sub is None]

    async def _identify(self, ctx: Context) -> None:
        inbound = ctx.inbound
        if inbound.channel == "kf":
            customer = await KfCustomer.get_or_none(external_userid=inbound.sender).prefetch_related("person", "grid")
            ctx.person = await Person.get_or_none(external_userid=inbound.sender)
            if ctx.person is None and customer is not None:
                ctx.person = customer.person
            if customer is not None:
                ctx.area = customer.grid
        elif inbound.sender:
            ctx.person = await Person.get_or_none(userid=inbound.sender)
        if ctx.person is not None:
            ctx.roles = await Role.filter(person=ctx.person).prefetch_related("area", "department")
        if inbound.conversation:
            chat_channel = "aibot" if inbound.channel == "aibot" else inbound.channel
            ctx.chat = await Chat.get_or_none(channel=chat_channel, chatid=inbound.conversation).prefetch_related(
                "area"
            )
        home = await self._home_area(ctx)
        ctx.area = home or (ctx.chat.area if ctx.chat else None) or ctx.area

    @staticmethod
    async def _home_area(ctx: Context) -> Area | None:
        person = ctx.person
        if person is None:
            return None
        if person.household_id is not None:
            household = await Household.get(id=person.household_id).prefetch_related("grid")
            return household.grid
        for role in ctx.roles:
            if role.role in HOME_ROLES and role.area is not None:
                return role.area
        return None

    async def _unregistered_chat(self, ctx: Context) -> None:
        inbound = ctx.inbound
        ctx.reply("chat.unregistered")
        text = ctx.say("chat.unregistered_admin", chatid=inbound.conversation, channel=inbound.channel)
        await self.services.reach.people(
            list(self.services.admins),
            text=text,
            dedupe_key=f"unregistered-chat:{inbound.channel}:{inbound.conversation}",
        )

    async def _answer(self, ctx: Context, inbox_id: int) -> None:
        """One combined answer where the person spoke; cards go as app messages where the channel has them."""
        address = reply_address(ctx.inbound, ctx.chat)
        if ctx.replies and address is not None:
            text = "\n\n".join(ctx.replies)
            await enqueue(
                # Every answer in a group goes through the one masking function, whatever handler wrote it.
                Outbound(to=address, text=mask_private(text) if ctx.inbound.is_group else text),
                now=ctx.now,
                dedupe_key=f"reply:{ctx.inbound.channel}:{inbox_id}",
            )
        for index, card in enumerate(ctx.reply_cards):
            await enqueue(
                Outbound(to=Address("app", ctx.inbound.sender), card=card),
                now=ctx.now,
                dedupe_key=f"reply-card:{ctx.inbound.channel}:{inbox_id}:{index}",
            )


def reply_address(inbound: Inbound, chat: Chat | None) -> Address | None:
    """Where an answer to this message goes on its own channel."""
    if inbound.channel == "aibot":
        if inbound.reply.get("response_url"):
            return Address("aibot", inbound.reply["response_url"])
        if chat is not None and chat.webhook_key:
            return Address("webhook", chat.webhook_key)
        return None
    if inbound.channel == "kf":
        return Address("kf", inbound.sender, via=str(inbound.reply.get("open_kfid", "")))
    return Address("app", inbound.sender)
