"""How features register handlers and how a message finds its handler.

Each feature has a Router; `include_router` makes a feature of parts. A handler is registered for a command
(optionally one declared subcommand of it), a card button's key scheme, an inbound kind (`image`, `enter`),
or free text, with filters (core/filters.py) that say who may use it and where. For one message the
handlers registered for it are tried in order — features in the order of handlers.FEATURES, parts in
include order: one whose filters do not pass is passed over, and one that raises SkipHandler declines, so
the next runs (as aiogram's SkipHandler). When every handler of a command declines, the message is free
text after all; when none would take it and a filter refused, the speaker hears that refusal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from handlers.core.card_keys import CardKey
from handlers.core.context import Context, Services
from handlers.core.filters import Filter

Handler = Callable[[Context], Awaitable[None]]
BatchReader = Callable[[Sequence[Context]], Awaitable[None]]  # see Router.batch
AfterBacklog = Callable[[Services], Awaitable[int]]  # see Router.after_backlog
MESSAGE_KINDS = ("text", "voice", "image", "file")  # what free text handlers may be given


class SkipHandler(Exception):
    """Raised by a handler that declines this message: the next handler registered for it runs."""


@dataclass(frozen=True)
class Registered:
    handler: Handler
    filters: tuple[Filter, ...] = ()
    sub: str | None = None  # the subcommand this handler is for; None: the command without a known one

    def failed_filter(self, ctx: Context) -> Filter | None:
        return next((f for f in self.filters if not f.allows(ctx)), None)


@dataclass
class Router:
    name: str
    commands: dict[str, list[Registered]] = field(default_factory=dict)
    cards: dict[str, tuple[type[CardKey], list[Registered]]] = field(default_factory=dict)
    kinds: dict[str, list[Registered]] = field(default_factory=dict)
    texts: list[Registered] = field(default_factory=list)
    batch_readers: list[BatchReader] = field(default_factory=list)
    backlog_jobs: list[AfterBacklog] = field(default_factory=list)
    parts: list[Router] = field(default_factory=list)

    def include_router(self, router: Router) -> Router:
        self.parts.append(router)
        return router

    def command(self, name: str, *filters: Filter, sub: str | None = None) -> Callable[[Handler], Handler]:
        """`name` is a key of [commands] in config/commands.toml; `sub` a key of its [subcommands.<name>]."""
        return self._register(self.commands.setdefault(name, []), filters, sub)

    def card(self, kind: type[CardKey], *filters: Filter) -> Callable[[Handler], Handler]:
        """Clicks on buttons whose key is of `kind`'s scheme; the handler reads `ctx.clicked(kind)`."""
        known, registered = self.cards.setdefault(kind.scheme, (kind, []))
        if known is not kind:
            raise ValueError(f"{self.name}: card key scheme {kind.scheme!r} belongs to {known.__name__}")
        return self._register(registered, filters)

    def kind(self, kind: str, *filters: Filter) -> Callable[[Handler], Handler]:
        """Inbound messages or events of one kind (`image`, `enter`), before free text."""
        return self._register(self.kinds.setdefault(kind, []), filters)

    def text(self, *filters: Filter) -> Callable[[Handler], Handler]:
        """Free text: whatever no command took (and media no kind handler took)."""
        return self._register(self.texts, filters)

    def batch(self) -> Callable[[BatchReader], BatchReader]:
        """A reader given every message of a batch (handled in one transaction, in the order given) before the
        first is handled: it reads at once what each would ask on its own and leaves the answers in each
        context's `ahead`. What it leaves must hold when that message is handled, whatever the batch's
        earlier messages write (the reader knows which of them can change it)."""

        def register(reader: BatchReader) -> BatchReader:
            self.batch_readers.append(reader)
            return reader

        return register

    def after_backlog(self) -> Callable[[AfterBacklog], AfterBacklog]:
        """Work a feature left for when the inbox's backlog is cleared (what `Context.in_backlog` let wait): run
        whenever the inbox finds nothing pending, in its own transactions, again while it returns more than 0
        — a message stored meanwhile is handled first."""

        def register(job: AfterBacklog) -> AfterBacklog:
            self.backlog_jobs.append(job)
            return job

        return register

    @staticmethod
    def _register(
        into: list[Registered], filters: tuple[Filter, ...], sub: str | None = None
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            into.append(Registered(handler, filters, sub))
            return handler

        return register

    def routers(self) -> Iterator[Router]:
        """This router and its parts, depth first, in include order."""
        yield self
        for part in self.parts:
            yield from part.routers()

    def for_command(self, name: str) -> list[Registered]:
        return [r for router in self.routers() for r in router.commands.get(name, [])]

    def for_kind(self, kind: str) -> list[Registered]:
        return [r for router in self.routers() for r in router.kinds.get(kind, [])]

    def for_batch(self) -> list[BatchReader]:
        return [reader for router in self.routers() for reader in router.batch_readers]

    def for_after_backlog(self) -> list[AfterBacklog]:
        return [job for router in self.routers() for job in router.backlog_jobs]

    def for_text(self) -> list[Registered]:
        return [r for router in self.routers() for r in router.texts]

    def for_card(self, scheme: str) -> tuple[type[CardKey] | None, list[Registered]]:
        kind: type[CardKey] | None = None
        found: list[Registered] = []
        for router in self.routers():
            if scheme in router.cards:
                known, registered = router.cards[scheme]
                if kind is not None and known is not kind:
                    raise ValueError(f"card key scheme {scheme!r} is declared by two classes")
                kind = known
                found += registered
        return kind, found


async def run_first(ctx: Context, candidates: list[Registered]) -> bool:
    """Run the first candidate whose filters pass and that does not decline; True when one handled it.

    When none did and a filter refused, the first refusal is raised (a UserError: a polite reply).
    """
    refused: Filter | None = None
    for registered in candidates:
        failed = registered.failed_filter(ctx)
        if failed is not None:
            refused = refused or failed
            continue
        try:
            await registered.handler(ctx)
        except SkipHandler:
            continue
        return True
    if refused is not None:
        raise refused.refuse(ctx)
    return False
