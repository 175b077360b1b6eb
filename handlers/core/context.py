"""What every handler receives: the message in its Context, and the long-lived Services.

A handler is `async def handler(ctx: Context) -> None`: it reads ctx.inbound / ctx.args (and ctx.card_key for a
card click), changes the database, queues notices, and answers with ctx.reply(...). It runs inside the
dispatcher's transaction, so its writes and its messages commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from bot.calendar import CalendarHolder, QuietHours
from bot.channels.types import Card, Inbound
from bot.clock import Clock
from bot.reach import Reach
from config.errors import ChannelError
from config.index_file import Index
from config.policy import Policy
from config.powers_file import PowersList
from config.subcommands import Subcommands
from config.texts import CommandWords, Texts
from models import Area, Chat, Person, Role
from nlp.router import Router as TextRouter

if TYPE_CHECKING:
    from handlers.core.card_keys import CardKey

KeyT = TypeVar("KeyT", bound="CardKey")


@dataclass(frozen=True)
class Services:
    """Long-lived things handlers use; built once by the application, shared by every message."""

    clock: Clock
    texts: Texts
    commands: CommandWords
    policy: Policy  # the settings' policy file, validated at start
    calendar: CalendarHolder  # `.calendar` is the current work calendar (re-read when its file changes)
    router: Callable[[], TextRouter]  # the current routing table's classifier (hot-reloaded)
    admins: tuple[str, ...] = ()
    subcommands: Mapping[str, Subcommands] = field(default_factory=dict)  # [subcommands.<command>] words
    powers: PowersList | None = None  # the small-powers list of `[powers] file`; None: the feature is off
    index: Index | None = None  # the year's performance index ([index] file), None when none is set
    # A file message's content, fetched from the channel that brought it (bot/channels/media.py); raises
    # config.errors.ChannelError when it cannot. None where no channel API is up (then files are not read).
    # The dispatcher calls it outside the message's transaction; handlers read the file with ctx.inbound_file().
    files: Callable[[Inbound], Awaitable[bytes]] | None = None

    @cached_property
    def reach(self) -> Reach:
        """How people are told things (bot/reach.py): handlers say whom, never which channel."""
        return Reach(self.clock, QuietHours.from_policy(self.policy.quiet_hours))


class FetchFirst(Exception):
    """A handler needs the message's file (`Context.inbound_file`) before it can go on: the dispatcher undoes
    the message's transaction, fetches the file outside any transaction, and handles the message again with it.
    A slow WeCom then holds no row locked while it answers, and on SQLite, which writes one transaction at a
    time, no other message's callback waits for it."""


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
    args: str = ""  # what follows the command word (and its subcommand word, when one was declared)
    sub: str = ""  # the declared subcommand the handler was picked for, "" for the bare command
    card_key: CardKey | None = None  # the parsed key of a clicked card button
    replies: list[str] = field(default_factory=list)
    reply_cards: list[Card] = field(default_factory=list)  # shown where the channel has cards (app)
    fetched: bytes | ChannelError | None = None  # the message's file, once fetched (FetchFirst)
    ahead: dict[str, Any] = field(default_factory=dict)  # read for its whole batch beforehand (Router.batch)
    # handled in a backlog's batch (Dispatcher.process_lanes): what is not urgent may wait until the backlog is cleared
    in_backlog: bool = False

    @property
    def text(self) -> str:
        return self.inbound.text

    @property
    def speaker(self) -> Person:
        """The person who spoke, for handlers only a known person reaches: behind a Roles filter, or
        after a role check of their own (require_committee, own_part) passed."""
        assert self.person is not None, "ctx.speaker is read only where a role check admitted a known person"
        return self.person

    def has_role(self, *names: str) -> bool:
        return any(role.role in names for role in self.roles)

    def roles_named(self, *names: str) -> list[Role]:
        return [role for role in self.roles if role.role in names]

    def clicked(self, kind: type[KeyT]) -> KeyT:
        """The clicked button as the type its handler was registered for."""
        assert isinstance(self.card_key, kind), "a card handler runs only for its own button type"
        return self.card_key

    @property
    def is_app_private(self) -> bool:
        """1:1 with the self-built app: the one place private lists and cadre work are shown."""
        return not self.inbound.is_group and self.inbound.channel == "app"

    def inbound_file(self) -> bytes:
        """The message's file, fetched from the channel that brought it before the message's transaction began
        (FetchFirst); raises config.errors.ChannelError when the channel could not give it."""
        if self.fetched is None:
            raise FetchFirst
        if isinstance(self.fetched, ChannelError):
            raise self.fetched
        return self.fetched

    def say(self, key: str, **params: Any) -> str:
        return self.services.texts.render(key, **params)

    def reply(self, key: str, **params: Any) -> None:
        """Answer the speaker where they spoke, with the text `key` from config/replies.toml."""
        self.replies.append(self.say(key, **params))

    def reply_text(self, text: str) -> None:
        self.replies.append(text)
