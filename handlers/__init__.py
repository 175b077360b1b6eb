"""Message and command handlers, one module per feature; each exposes `router` (a HandlerRouter)."""

from __future__ import annotations

import importlib

from handlers.core.context import HandlerRouter

FEATURE_MODULES = [
    "handlers.help",
    "handlers.requests.commands",
    "handlers.requests.rating.commands",
    "handlers.requests.village.commands",
    "handlers.requests.relay.commands",
    "handlers.requests.kf.commands",
    "handlers.tasks.commands",
    "handlers.visits.commands",
    "handlers.whistle.commands",
    "handlers.duty.commands",
]


def feature_routers() -> list[HandlerRouter]:
    return [importlib.import_module(name).router for name in FEATURE_MODULES]
