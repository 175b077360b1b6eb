"""Message and command handlers, one module per feature; each exposes `router` (a HandlerRouter)."""

from __future__ import annotations

import importlib

from handlers.base import HandlerRouter

FEATURE_MODULES = [
    "handlers.help",
    "handlers.tasks",
]


def feature_routers() -> list[HandlerRouter]:
    return [importlib.import_module(name).router for name in FEATURE_MODULES]
