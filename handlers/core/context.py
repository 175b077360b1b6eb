"""What every handler receives (Context, Services) and how features register handlers (HandlerRouter).

A handler is `async def handler(ctx: Context) -> None`: it reads ctx.inbound / ctx.args, changes the
database, queues notices with ctx.notify(...) or bot.outbox.enqueue, and answers with ctx.reply(...).
It runs inside the dispatcher's transaction, so its writes and its messages commit together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable

from bot.channels.types import Card, Inbound
from bot.clock import Clock
from config.texts import CommandWords, Texts
from models import Area, Chat, Person, Role

Handler = Callable[["Context"], Awaitable[None]]


@dataclass(frozen=True)
class Services:
    """Long-lived things handlers use; built once by the application, shared by every message."""

    clock: Clock
    texts: Texts
    commands: CommandWords
    policy: dict[str, Any]
    router: Callable[[], Any]  # returns the current nlp Router (hot-reloaded)
    admins: tuple[str, ...] = ()


@dataclass
class Context:
    inbound: Inbound
    services: Services
    now: datetime
    person: Person | None = None
    roles: list[Role] = field(default_factory=list)  # with area and department fetched
    chat: Chat | None = None
    area: Area | None = None  # the speaker's area: their own, else the chat's, else the kf scene's grid
    command: str = ""  # the command name from config/commands.toml, "" for free text
    args: str = ""  # what follows the command word
    replies: list[str] = field(default_factory=list)
    reply_cards: list[Card] = field(default_factory=list)  # shown where the channel has cards (app)

    @property
    def text(self) -> str:
        return self.inbound.text

    def has_role(self, *names: str) -> bool:
        return any(role.role in names for role in self.roles)

    def roles_named(self, *names: str) -> list[Role]:
        return [role for role in self.roles if role.role in names]

    def say(self, key: str, **params: Any) -> str:
        return self.services.texts.render(key, **params)

    def reply(self, key: str, **params: Any) -> None:
        """Answer the speaker where they spoke, with the text `key` from config/replies.toml."""
        self.replies.append(self.say(key, **params))

    def reply_text(self, text: str) -> None:
        self.replies.append(text)


@dataclass
class HandlerRouter:
    """One per feature module: handlers for commands, card buttons and free text, registered by decorator."""

    name: str
    commands: dict[str, Handler] = field(default_factory=dict)
    card_prefixes: dict[str, Handler] = field(default_factory=dict)
    events: dict[str, Handler] = field(default_factory=dict)
    free_text: Handler | None = None

    def command(self, name: str) -> Callable[[Handler], Handler]:
        """`name` is a key of [commands] in config/commands.toml."""

        def register(handler: Handler) -> Handler:
            self.commands[name] = handler
            return handler

        return register

    def card(self, key_prefix: str) -> Callable[[Handler], Handler]:
        """Card button clicks whose event key starts with `key_prefix` (e.g. "duty:")."""

        def register(handler: Handler) -> Handler:
            self.card_prefixes[key_prefix] = handler
            return handler

        return register

    def event(self, kind: str) -> Callable[[Handler], Handler]:
        """Inbound events by kind, e.g. "enter" (a person opened the chat)."""

        def register(handler: Handler) -> Handler:
            self.events[kind] = handler
            return handler

        return register

    def text(self) -> Callable[[Handler], Handler]:
        """Free text that is no command (at most one feature claims it: requests)."""

        def register(handler: Handler) -> Handler:
            self.free_text = handler
            return handler

        return register
