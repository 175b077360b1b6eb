"""From a stored inbound message to handler work: who is speaking, where, which handler, then the answer.

Each inbox row is processed in one transaction: the handler's writes, the outbox rows of its answer and
notices, and the row's `done` mark commit together, so a crash replays the message and nothing doubles.
In a backlog several rows share one transaction (`process_lanes`: one commit for up to eight messages); if any
of them fails, all of that transaction is undone and each row is handled again alone (`process`).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from bot.channels.types import Address, Inbound, Outbound
from bot.outbox import NORMAL, PROMPT, URGENT, combine, enqueue_each
from config.errors import ChannelError, UserError
from handlers.core.card_keys import CardKey
from handlers.core.context import Context, FetchFirst, Services
from handlers.core.router import MESSAGE_KINDS, Registered, Router, run_first
from models import Area, Chat, Household, InboxMessage, KfCustomer, OutboxMessage, Person, Role
from models.area_cache import chat_of
from models.shapes import Shape
from nlp.privacy import mask_private

log = logging.getLogger(__name__)

# Roles whose own area is where they speak from (for a cadre the chat's area is more telling).
HOME_ROLES = ("villager", "grid_member", "village_cadre", "village_secretary", "first_secretary")
Answer = tuple[Outbound, str, int]  # a message's answer: what, its dedupe key, its priority


class HandlerFailed(Exception):
    """A handler raised (the cause): its transaction is undone, and the failure answered in a new one. What
    fails outside the handler — queuing the answer, the commit — is not caught: the inbox tries the row again."""

    def __init__(self, ctx: Context) -> None:
        super().__init__("the handler failed")
        self.ctx = ctx


class Dispatcher:
    def __init__(self, services: Services, features: list[Router], on_enqueued: Callable[[], None] = lambda: None):
        self.services = services
        self.on_enqueued = on_enqueued
        self.root = Router("features")
        for feature in features:
            self.root.include_router(feature)

    async def process(self, inbox_id: int, fetched: bytes | ChannelError | None = None) -> bool:
        """Handle one stored message exactly once (a row already done is skipped). False when someone else is
        handling it at this moment (PostgreSQL: another process or task holds its row): the caller leaves it,
        and the later messages of its lane, to them instead of waiting.

        A handler that fails takes its whole transaction with it, so nothing is half-written; the row is then
        taken again in a transaction of its own that only answers the failure and marks the row. (No savepoint
        around every handler: two statements fewer for every message that does not fail.)

        A handler that needs the message's file first (FetchFirst) has its transaction undone too; the file is
        fetched outside any transaction and the message handled again with it (`fetched`)."""
        try:
            async with in_transaction():
                row = await self._take(inbox_id)
                if row is None:
                    return not await InboxMessage.filter(id=inbox_id, status="pending").exists()
                ctx = self._context(row)
                ctx.fetched = fetched
                try:
                    await self._handle(ctx)
                except FetchFirst:
                    raise
                except Exception as exc:
                    raise HandlerFailed(ctx) from exc
                await self._finish(ctx, row, inbox_id)
        except HandlerFailed as failed:
            assert isinstance(failed.__cause__, Exception)
            return await self._failed(inbox_id, failed.ctx, failed.__cause__)
        except FetchFirst:
            return await self.process(inbox_id, await self._fetch(ctx.inbound))
        self.on_enqueued()
        return True

    async def _fetch(self, inbound: Inbound) -> bytes | ChannelError:
        """The message's file from its channel, in no transaction; a refusal is kept for the handler to answer."""
        if self.services.files is None:
            return ChannelError(-1, "no channel API is up to fetch files", inbound.channel)
        try:
            return await self.services.files(inbound)
        except ChannelError as exc:
            return exc

    async def process_lanes(self, lanes: list[list[int]]) -> dict[int, bool]:
        """Several stored messages, lane by lane (each lane's rows in order), in one transaction: one BEGIN and
        COMMIT, one read taking the rows, one statement queuing the answers and one marking the rows done, where
        `process` spends each of them per message. Per row: True when it is done (now, or already before);
        False when another process holds it — and then the later rows of its lane, left to that process.

        Any failure (a handler's, the commit's) undoes the whole batch and raises: the caller then handles each
        message alone with `process`, which answers a failing one and goes on with the rest (and fetches the file
        a handler asked for with FetchFirst)."""
        ids = [row_id for lane in lanes for row_id in lane]
        outcomes: dict[int, bool] = {}
        answers: list[Answer] = []
        async with in_transaction():
            taken = {row.id: row for row in await _TAKE_PENDING.rows(tuple(ids))}
            contexts = {
                row_id: self._context(row, in_backlog=True)
                for lane in lanes
                for row_id in lane
                if (row := taken.get(row_id))
            }
            people = await _people_of(ctx.inbound for ctx in contexts.values())
            for reader in self.root.for_batch():  # in the order the rows are handled
                await reader(list(contexts.values()))
            missing = [row_id for row_id in ids if row_id not in taken]
            held = set(
                await InboxMessage.filter(id__in=missing, status="pending").values_list("id", flat=True)
                if missing
                else []
            )
            for lane in lanes:
                for index, row_id in enumerate(lane):
                    if row_id in held:  # another process is handling it: the rest of the lane waits for it
                        outcomes.update(dict.fromkeys(lane[index:], False))
                        break
                    ctx = contexts.get(row_id)
                    if ctx is not None:
                        await self._handle(ctx, people)
                        answers.extend(self._answers(ctx, row_id))
                    outcomes[row_id] = True
            now = self.services.clock.now()
            await queue_answers(answers, now)
            handled = [row_id for row_id in taken if outcomes.get(row_id)]
            if handled:
                await _MARK_DONE.count(tuple(handled), now)
        self.on_enqueued()
        return outcomes

    async def after_backlog(self) -> int:
        """The features' work left for when the backlog is cleared (Router.after_backlog); how much was done."""
        done = 0
        for job in self.root.for_after_backlog():
            done += await job(self.services)
        if done:
            self.on_enqueued()
        return done

    async def _failed(self, inbox_id: int, ctx: Context, exc: Exception) -> bool:
        """The failure's answer: a UserError's polite words, else the apology with a trace id (a group is not
        told about the bot's bugs), in a transaction of its own."""
        error = ""
        if isinstance(exc, UserError):
            replies = [ctx.say(exc.key, **exc.params)]
        else:
            trace_id = uuid.uuid4().hex[:8]
            log.error("handling inbox row %s failed (trace %s)", inbox_id, trace_id, exc_info=exc)
            replies = [ctx.say("common.error", trace_id=trace_id)] if not ctx.inbound.is_group else []
            error = f"trace {trace_id}"
        async with in_transaction():
            row = await self._take(inbox_id)
            if row is None:
                return not await InboxMessage.filter(id=inbox_id, status="pending").exists()
            ctx.replies, ctx.reply_cards = replies, []
            row.error = error
            await self._finish(ctx, row, inbox_id)
        self.on_enqueued()
        return True

    @staticmethod
    async def _take(inbox_id: int) -> InboxMessage | None:
        """The pending row, locked for this transaction; None when it is done or another holds it."""
        return await InboxMessage.filter(id=inbox_id, status="pending").select_for_update(skip_locked=True).first()

    def _context(self, row: InboxMessage, *, in_backlog: bool = False) -> Context:
        return Context(
            inbound=Inbound.from_json(row.payload),
            services=self.services,
            now=self.services.clock.now(),
            in_backlog=in_backlog,
        )

    async def _finish(self, ctx: Context, row: InboxMessage, inbox_id: int) -> None:
        """The answer queued and the row marked done, in the message's transaction."""
        await queue_answers(self._answers(ctx, inbox_id), ctx.now)
        row.status = "done"
        row.attempts += 1
        row.processed_at = ctx.now
        await row.save(update_fields=["status", "attempts", "processed_at", "error"])

    async def _handle(self, ctx: Context, people: Mapping[str, Person | None] | None = None) -> None:
        await self._identify(ctx, people)
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
            if key.startswith(combine.KEY_PREFIX):
                await self._combined_click(ctx, key)
                return
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

    async def _combined_click(self, ctx: Context, key: str) -> None:
        """A button of a combined card (bot/outbox/combine.py): each chosen item's own first button, pressed
        through its own handler as if clicked on its own card. 全部确认 presses every item's; an item's
        button presses that one, and the items left are sent again as a fresh combined card (WeCom turns
        every button of a clicked card into 已提交)."""
        _, token, which = (key.split(":", 2) + ["", ""])[:3]
        row = await OutboxMessage.get_or_none(dedupe_key=f"{combine.KEY_PREFIX}{token}")
        if row is None or ctx.inbound.sender not in row.target.split("|"):
            raise UserError("outbox.combined_gone")
        items = combine.items_of(row)
        if which == "all":
            chosen = [item for item in items if item["key"]]
        elif which.isascii() and which.isdigit() and 1 <= int(which) <= len(items) and items[int(which) - 1]["key"]:
            chosen = [items[int(which) - 1]]
        else:
            raise UserError("common.bad_card")
        original = ctx.inbound
        for item in chosen:
            extra: dict[str, Any] = {**original.extra, "event_key": item["key"], "task_id": item["task_id"]}
            extra["response_code"] = ""  # the combined card's code is not the item's card's
            ctx.inbound = dataclasses.replace(original, extra=extra)
            kind, handlers = self.root.for_card(CardKey.scheme_of(item["key"]))
            ctx.card_key = kind.parse(item["key"]) if kind is not None else None
            try:
                if ctx.card_key is None:
                    raise UserError("common.bad_card")
                async with in_transaction():  # one item failing leaves the others done
                    await run_first(ctx, handlers)
            except UserError as exc:
                ctx.replies.append(ctx.say(exc.key, **exc.params))
        ctx.inbound, ctx.card_key = original, None
        if which == "all":
            ctx.reply("outbox.combined_done", count=len(chosen))
            return
        left = [item["id"] for item in items if item is not chosen[0]]
        await self._combine_again(row, left, f"{token}-{which}", ctx)

    async def _combine_again(self, row: OutboxMessage, ids: list[int], token: str, ctx: Context) -> None:
        rows = await OutboxMessage.filter(id__in=ids).order_by("-priority", "id")
        if not rows:
            return
        if len(rows) == 1:  # one left: it goes as it was first queued
            payload = dict(rows[0].payload)
        else:
            message = combine.combined_message(rows, self.services.texts, token)
            payload = {**message.to_json(), "combined": [combine.item_entry(r) for r in rows]}
        await OutboxMessage.get_or_create(
            dedupe_key=f"{combine.KEY_PREFIX}{token}",
            defaults={
                "kind": row.kind,
                "target": row.target,
                "payload": payload,
                "not_before": ctx.now,
                "created_at": ctx.now,
                "priority": max(r.priority for r in rows),
            },
        )

    def urgent(self, payload: dict[str, Any]) -> bool:
        """Whether a stored message (an inbox row's payload) reads as urgent by the routing table's words:
        it is handled and answered before the backlog."""
        return self._urgent(str(payload.get("kind", "")), str(payload.get("text") or ""))

    def _urgent(self, kind: str, text: str) -> bool:
        """Asked twice per message (sorting, answering): the router remembers its decisions (nlp/router.py)."""
        if not text or kind not in MESSAGE_KINDS:
            return False
        return self.services.router().classify(text).urgency == "urgent"

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

    async def _identify(self, ctx: Context, people: Mapping[str, Person | None] | None = None) -> None:
        """Who wrote, their roles, the chat and the area; `people`: the persons of a batch's senders, read at once
        (by userid; None: not a person)."""
        inbound = ctx.inbound
        if inbound.channel == "kf":
            customer = await KfCustomer.get_or_none(external_userid=inbound.sender).prefetch_related("person", "grid")
            ctx.person = await Person.get_or_none(external_userid=inbound.sender)
            if ctx.person is None and customer is not None:
                ctx.person = customer.person
            if customer is not None:
                ctx.area = customer.grid
        elif inbound.sender:
            if people is not None and inbound.sender in people:
                ctx.person = people[inbound.sender]
            else:
                ctx.person = await _PERSON_BY_USERID.first(inbound.sender)
        if ctx.person is not None:
            ctx.roles = await Role.filter(person=ctx.person).prefetch_related("area", "department")
        if inbound.conversation:
            chat_channel = "aibot" if inbound.channel == "aibot" else inbound.channel
            ctx.chat = await chat_of(chat_channel, inbound.conversation)
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

    def _answers(self, ctx: Context, inbox_id: int) -> list[Answer]:
        """One combined answer where the person spoke; cards go as app messages where the channel has them."""
        address = reply_address(ctx.inbound, ctx.chat)
        priority = (
            PROMPT if ctx.inbound.timely else URGENT if self._urgent(ctx.inbound.kind, ctx.inbound.text) else NORMAL
        )
        answers: list[Answer] = []
        if ctx.replies and address is not None:
            text = "\n\n".join(ctx.replies)
            # Every answer in a group goes through the one masking function, whatever handler wrote it.
            answer = Outbound(to=address, text=mask_private(text) if ctx.inbound.is_group else text)
            answers.append((answer, f"reply:{ctx.inbound.channel}:{inbox_id}", priority))
        for index, card in enumerate(ctx.reply_cards):
            card_answer = Outbound(to=Address("app", ctx.inbound.sender), card=card)
            answers.append((card_answer, f"reply-card:{ctx.inbound.channel}:{inbox_id}:{index}", priority))
        return answers


async def _people_of(messages: Iterable[Inbound]) -> dict[str, Person | None]:
    """The persons behind a batch's userids, in one query rather than one per message (customer-service senders
    are found by their own ids, as `_identify` does). No handler of a message changes a person found so, so
    what is read before the batch holds for each of its messages."""
    senders = {m.sender for m in messages if m.channel != "kf" and m.sender}
    if not senders:
        return {}
    found: dict[str, Person | None] = dict.fromkeys(senders)
    for person in await Person.filter(userid__in=senders):
        found[person.userid or ""] = person
    return found


# Every message asks who sent it, and every transaction of a backlog takes its rows and marks them done: the
# queries' text is built once (models/shapes.py; one text per number of rows).
_PERSON_BY_USERID = Shape(lambda userid: Person.filter(userid=userid).limit(1))
_TAKE_PENDING = Shape(lambda ids: InboxMessage.filter(id__in=ids, status="pending").select_for_update(skip_locked=True))
_MARK_DONE: Shape[InboxMessage] = Shape(
    lambda ids, now: InboxMessage.filter(id__in=ids).update(status="done", attempts=F("attempts") + 1, processed_at=now)
)


async def queue_answers(answers: list[Answer], now: datetime) -> None:
    """The answers into the outbox, one statement per priority (a batch's answers to the AI bot all PROMPT)."""
    by_priority: dict[int, list[tuple[Outbound, str | None]]] = defaultdict(list)
    for message, key, priority in answers:
        by_priority[priority].append((message, key))
    for priority in sorted(by_priority, reverse=True):
        await enqueue_each(by_priority[priority], now=now, priority=priority)


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
