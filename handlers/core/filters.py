"""Filters declared with a handler: who may use it and where. A filter that does not pass lets the next
handler for the same message try; when none is left, the first refusal met is the answer.

A refusal raises UserError (config/replies.toml key), so the speaker gets a polite reply and the refusal
is logged; nothing the handler would have written exists yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from config.errors import UserError
from config.policy import Policy
from handlers.core.context import Context

log = logging.getLogger("gridwhistle.audit")

RolesOfPolicy = Callable[[Policy], Iterable[str]]  # reads role names from the policy (they are data there)


class Filter(Protocol):
    def allows(self, ctx: Context) -> bool: ...

    def refuse(self, ctx: Context) -> UserError: ...


@dataclass(frozen=True)
class AppPrivate:
    """Only 1:1 with the self-built app (cadre work and private lists)."""

    refusal: str

    def allows(self, ctx: Context) -> bool:
        return ctx.is_app_private

    def refuse(self, ctx: Context) -> UserError:
        return UserError(self.refusal)


@dataclass(frozen=True)
class Private:
    """Not in a group chat, on any channel."""

    refusal: str
    refusal_params: tuple[tuple[str, str], ...] = ()  # (param, replies.toml key of its text)

    def allows(self, ctx: Context) -> bool:
        return not ctx.inbound.is_group

    def refuse(self, ctx: Context) -> UserError:
        return UserError(self.refusal, **{name: ctx.say(key) for name, key in self.refusal_params})


@dataclass(frozen=True)
class Roles:
    """A known person with one of these roles; `names` may read them from the policy."""

    names: tuple[str, ...] | RolesOfPolicy
    refusal: str
    refusal_params: tuple[tuple[str, str], ...] = ()  # (param, replies.toml key of its text)

    def role_names(self, ctx: Context) -> tuple[str, ...]:
        names = self.names if isinstance(self.names, tuple) else self.names(ctx.services.policy)
        return tuple(names)

    def allows(self, ctx: Context) -> bool:
        return ctx.person is not None and ctx.has_role(*self.role_names(ctx))

    def refuse(self, ctx: Context) -> UserError:
        who = ctx.person.name if ctx.person else "unknown person"
        log.warning(
            "refused %s from %s (%s): lacks a role of %s",
            ctx.command or ctx.inbound.kind,
            ctx.inbound.sender,
            who,
            ", ".join(self.role_names(ctx)),
        )
        return UserError(self.refusal, **{name: ctx.say(key) for name, key in self.refusal_params})
