"""The Router as the service and the CLI build it: the table and the county's names named by the settings."""

from __future__ import annotations

from config.settings import Settings
from nlp.holder import RouterHolder
from nlp.names import county_names
from nlp.router import Router


def build_router(settings: Settings) -> Router:
    return Router.from_file(settings.routing.table, county_names(settings.org.file))


def build_router_holder(settings: Settings) -> RouterHolder:
    """For the service: call before it listens (blocking, ~0.7 s); then `await holder.maybe_reload()`
    every few seconds, and read `holder.router` for each message."""
    return RouterHolder.load(settings.routing.table, county_names(settings.org.file))
