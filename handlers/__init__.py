"""Message and command handlers, one module per feature; each exposes `router` (a HandlerRouter)."""

from __future__ import annotations

import importlib

from handlers.base import HandlerRouter

FEATURE_MODULES = [
    "handlers.help",
    "handlers.requests",
    "handlers.requests_rating",
    "handlers.requests_village",
    "handlers.requests_relay",
    "handlers.requests_kf",
    "handlers.tasks",
    "handlers.visits",
    "handlers.whistle",
    "handlers.duty",
]


def feature_routers() -> list[HandlerRouter]:
    return [importlib.import_module(name).router for name in FEATURE_MODULES]
