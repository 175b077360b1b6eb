"""The leaders' console (控制台): WeCom sign-in, pages scoped by role, XLSX exports and the JSON API."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import auth, views
from bot.console.api import add_api_routes

HERE = Path(__file__).resolve().parent


def add_console(app: web.Application) -> None:
    """Mount /console/ (pages, sign-in, static files) and /api/v1/ on the service's application."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    router = app.router
    router.add_get("/console", _to_console)
    router.add_get("/console/", views.overview)
    router.add_get("/console/auth", auth.auth)
    router.add_get("/console/logout", auth.logout)
    router.add_get("/console/tickets", views.tickets)
    router.add_get("/console/tickets/{number}", views.ticket_detail)
    router.add_get("/console/media/{id}", views.media)
    router.add_get("/console/departments", views.departments)
    router.add_get("/console/areas", views.areas)
    router.add_get("/console/tasks", views.tasks)
    router.add_get("/console/visits", views.visits)
    router.add_get("/console/index", views.index)
    router.add_static("/console/static/", HERE / "static", append_version=False)
    add_api_routes(app)


async def _to_console(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/console/")
