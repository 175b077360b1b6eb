"""Reaching people: handlers say whom to tell, this module decides how and queues it in the outbox.

- `person`/`people`: an app message to each WeCom member (quiet hours apply unless urgent);
- `together`: one app message to several members at once (a department's liaisons share one card);
- `card_update`: a sent card changed in place for the members who got it;
- `open_group`/`post_to_group`: the push-only group chat of a ticket's joint handling;
- `customer_service`: a villager on personal WeChat, only while WeCom's kf window is open;
- `reporter`/`news`: how the household that reported a request is reached, in the README's order — the
  group's webhook, an app message to a WeCom member, customer service within its window (the rule of
  bot/channels/kf_window.py), else a note to their grid member — and news for them combined within a
  short wait into one message.
Everything is queued with a dedupe key in the caller's transaction; nothing here sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.calendar import QuietHours
from bot.channels.kf_window import window_open
from bot.channels.types import Address, Card, NewGroup, Outbound
from bot.clock import Clock
from bot.outbox import NORMAL, PROMPT, URGENT, enqueue, enqueue_each, withdraw_waiting
from models import Area, KfCustomer, OutboxMessage, Person, Request
from models.request_queries import ancestor_at, people_with_role
from nlp.privacy import mask_private


@dataclass(frozen=True)
class Route:
    """How a reporter is reached: `kind` is webhook | app | kf | grid_member | none (kept on RequestUpdate)."""

    kind: str
    address: Address | None

    @property
    def in_group(self) -> bool:
        """Posted where others read it (personal details must be masked)."""
        return self.kind == "webhook"


@dataclass(frozen=True)
class Reach:
    clock: Clock
    quiet: QuietHours

    # -- cadres and liaisons (WeCom members) ------------------------------------------------------------

    async def person(
        self,
        userid: str,
        *,
        text: str = "",
        card: Card | None = None,
        urgent: bool = False,
        dedupe_key: str | None = None,
    ) -> bool:
        """An app message to one member; False when `dedupe_key` was used before."""
        return await self._app(userid, text=text, card=card, urgent=urgent, dedupe_key=dedupe_key)

    async def people(
        self,
        userids: list[str],
        *,
        text: str = "",
        card: Card | None = None,
        urgent: bool = False,
        dedupe_key: str | None = None,
    ) -> int:
        """The same message to each member on its own (dedupe keys get the userid appended); how many were queued."""
        now = self.clock.now()
        return await enqueue_each(
            [
                (Outbound(to=_members(userid), text=text, card=card), f"{dedupe_key}:{userid}" if dedupe_key else None)
                for userid in dict.fromkeys(userids)
            ],
            now=now,
            not_before=self.quiet.next_allowed(now, urgent=urgent),
            priority=URGENT if urgent else NORMAL,
            notice=True,  # as `person`: past a few a minute, combined with the person's other notices
        )

    async def together(
        self,
        userids: list[str],
        *,
        text: str = "",
        card: Card | None = None,
        urgent: bool = False,
        dedupe_key: str | None = None,
    ) -> bool:
        """One app message to several members at once, so one response_code updates the card for all of them."""
        members = list(dict.fromkeys(u for u in userids if u))
        if not members:
            return False
        return await self._app(*members, text=text, card=card, urgent=urgent, dedupe_key=dedupe_key)

    async def card_update(
        self,
        userids: list[str],
        *,
        response_code: str,
        card: Card | None = None,
        replace_name: str = "",
        dedupe_key: str,
        fresh_card: Card | None = None,
        fresh_card_key: str | None = None,
    ) -> bool:
        """Change a sent card in place for the members who got it (a response_code is single use: `dedupe_key`).

        fresh_card: sent to the same members instead if WeCom refuses the update (the code unknown or used),
        queued with `fresh_card_key` as its dedupe key.
        """
        update = {"response_code": response_code, **({"replace_name": replace_name} if replace_name else {})}
        to = _members(*dict.fromkeys(userids))
        row = await enqueue(
            Outbound(to=to, card=card, card_update=update),
            now=self.clock.now(),
            dedupe_key=dedupe_key,
            fallback=Outbound(to=to, card=fresh_card) if fresh_card is not None else None,
            fallback_key=fresh_card_key,
            priority=PROMPT,  # the clicker is looking at the card: it changes before any backlog is sent
        )
        return row is not None

    async def _app(self, *userids: str, text: str, card: Card | None, urgent: bool, dedupe_key: str | None) -> bool:
        now = self.clock.now()
        row = await enqueue(
            Outbound(to=_members(*userids), text=text, card=card),
            now=now,
            not_before=self.quiet.next_allowed(now, urgent=urgent),
            dedupe_key=dedupe_key,
            priority=URGENT if urgent else NORMAL,
            notice=True,  # past a few a minute, combined with the person's other notices
        )
        return row is not None

    # -- a ticket's joint-handling group ------------------------------------------------------------------

    async def open_group(self, chatid: str, *, name: str, userids: list[str], text: str, dedupe_key: str) -> bool:
        """Create the push-only group of these members (the first owns it) with a first message (masked: a group)."""
        group = NewGroup(name=name, owner=userids[0], members=tuple(userids))
        row = await enqueue(
            Outbound(to=Address("appchat", chatid), text=mask_private(text), create_group=group),
            now=self.clock.now(),
            dedupe_key=dedupe_key,
        )
        return row is not None

    async def post_to_group(self, chatid: str, text: str, *, dedupe_key: str) -> None:
        """Everyone in the group reads it, so personal details go masked."""
        message = Outbound(to=Address("appchat", chatid), text=mask_private(text))
        await enqueue(message, now=self.clock.now(), dedupe_key=dedupe_key)

    # -- villagers --------------------------------------------------------------------------------------

    async def customer_service(self, external_userid: str, text: str, *, dedupe_key: str) -> bool:
        """A customer-service message, only while the villager's kf window is open; False when it is not."""
        customer = await KfCustomer.get_or_none(external_userid=external_userid)
        if not await _kf_window_open(customer, self.clock.now()):
            return False
        via = customer.open_kfid if customer else ""
        row = await enqueue(
            Outbound(to=Address("kf", external_userid, via=via), text=text), now=self.clock.now(), dedupe_key=dedupe_key
        )
        return row is not None

    async def reporter(self, reporter: Request) -> Route:
        """The first way that reaches the household that reported `reporter` (the README's order)."""
        known = reporter.reply_context or {}
        if known.get("webhook_key"):
            return Route("webhook", Address("webhook", known["webhook_key"]))
        person = await Person.get_or_none(id=reporter.sender_id) if reporter.sender_id else None
        from_member = known.get("channel") in ("app", "aibot")
        userid = (person.userid if person else None) or (known.get("userid") if from_member else None)
        if userid:
            return Route("app", Address("app", userid))
        external = (person.external_userid if person else None) or known.get("external_userid")
        customer = await KfCustomer.get_or_none(external_userid=external) if external else None
        if external and await _kf_window_open(customer, self.clock.now()):
            via = known.get("open_kfid") or (customer.open_kfid if customer else "")
            return Route("kf", Address("kf", external, via=via))
        cadre = await _grid_member_for(reporter)
        if cadre is not None and cadre.userid:
            return Route("grid_member", Address("app", cadre.userid))
        return Route("none", None)

    async def news(
        self, route: Route, *, header: str, line: str, urgent: bool, wait: timedelta, thread: str, dedupe_key: str
    ) -> tuple[OutboxMessage | None, int | None]:
        """Queue `line` for a reporter: joined to their message of the same `thread` that still waits out its
        `wait`, else as a new message (`header` first) held for `wait` so later news can join it.

        Returns the queued row and the id of the row it replaced (None when it started a new message).
        """
        assert route.address is not None
        if route.in_group:
            line = mask_private(line)  # the reporter's group reads it, not only the reporter
        now = self.clock.now()
        waiting = await withdraw_waiting(route.address, key_prefix=thread, now=now)
        if waiting is not None:
            text, not_before = f"{waiting.payload['text']}\n{line}", waiting.not_before
        else:
            text, not_before = f"{header}\n{line}", self.quiet.next_allowed(now + wait, urgent=urgent)
        row = await enqueue(
            Outbound(to=route.address, text=text), now=now, not_before=not_before, dedupe_key=dedupe_key
        )
        return row, waiting.id if waiting is not None else None

    async def card_to(self, route: Route, card: Card, *, dedupe_key: str, not_before: datetime | None = None) -> None:
        """A card where the reporter is a WeCom member; `not_before` holds it behind news queued before it."""
        assert route.address is not None
        now = self.clock.now()
        due = max(not_before, now) if not_before is not None else None
        await enqueue(Outbound(to=route.address, card=card), now=now, not_before=due, dedupe_key=dedupe_key)


def _members(*userids: str) -> Address:
    """One app message to several members is addressed to all of them at once."""
    return Address("app", "|".join(userids))


async def _kf_window_open(customer: KfCustomer | None, now: datetime) -> bool:
    """Whether one more message fits the villager's kf window, counting every message queued since they wrote."""
    last = customer.last_customer_message_at if customer else None
    if customer is None or last is None:
        return False
    queued = await OutboxMessage.filter(kind="kf", target=customer.external_userid, created_at__gte=last).count()
    return window_open(last, now, queued)


async def _grid_member_for(reporter: Request) -> Person | None:
    """Who passes the news on: the cadre who relayed it, else the grid's member."""
    if reporter.relayed_by_id:
        return await Person.get_or_none(id=reporter.relayed_by_id)
    area = await Area.get_or_none(id=reporter.area_id) if reporter.area_id else None
    grid = await ancestor_at(area, "grid")
    members = await people_with_role(grid, "grid_member")
    return members[0] if members else None


def reply_context(
    channel: str, sender: str, reply: dict[str, Any], chat_id: str = "", webhook_key: str | None = None
) -> dict[str, Any]:
    """What a request keeps of where it was said, so `Reach.reporter` can find its household again."""
    known: dict[str, Any] = {"channel": channel}
    if channel == "kf":
        known.update(external_userid=sender, open_kfid=str(reply.get("open_kfid", "")))
    else:
        known["userid"] = sender
    if chat_id:
        known.update(chat_id=chat_id, webhook_key=webhook_key)
    return known
