"""The JSON API under /api/v1/: the same queries as the pages, behind a session or an API token.

401 without either; 403 for a person whose roles see nothing, or for one record outside their scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.console.auth import viewer
from bot.console.views import filters_of, period_of, reuse_of
from bot.keys import CLOCK, POLICY
from models.area_tree import AreaTree
from models.care_report import village_compliance
from models.console_queries import (
    PAGE_SIZE,
    filtered_requests,
    overview_counts,
    period_bounds,
    request_by_number,
    request_detail,
    request_rows,
    request_visible,
    scoped_rates,
)
from models.console_scope import Scope
from models.tasks_report import cadre_rows
from models.ticket_metrics import Rates
from nlp.privacy import mask_private

Endpoint = Callable[[web.Request, Scope, AreaTree], Awaitable[Any]]


def endpoint(handler: Endpoint, *, areas: bool = False) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def view(request: web.Request) -> web.Response:
        scope = await viewer(request, api=True)
        if scope is None:
            return web.json_response({"error": "unauthorized", "message": "需要登录或 API 令牌"}, status=401)
        if scope.empty or (areas and not scope.sees_areas):
            return web.json_response({"error": "forbidden", "message": "不在您的查看范围内"}, status=403)
        answer = await handler(request, scope, await AreaTree.load())
        if isinstance(answer, web.Response):
            return answer
        return web.json_response(answer, dumps=_dumps)

    return view


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


def _rates(rates: Rates) -> dict[str, Any]:
    return {
        "name": rates.name,
        "tickets": rates.ticket_count,
        "parts": rates.episodes,
        "returned": rates.returned,
        "ongoing": rates.ongoing,
        "response_rate": rates.response_rate,
        "resolution_rate": rates.resolution_rate,
        "on_time_rate": rates.on_time_rate,
        "satisfaction_rate": rates.satisfaction_rate,
    }


async def requests_(request: web.Request, scope: Scope, tree: AreaTree) -> dict[str, Any]:
    now = request.app[CLOCK].now()
    query = filtered_requests(scope, tree, filters_of(request, now), now)
    page = max(int(request.query.get("page", "1")) if request.query.get("page", "1").isdigit() else 1, 1)
    rows = await request_rows(query, tree, now, offset=(page - 1) * PAGE_SIZE)
    return {
        "total": await query.count(),
        "page": page,
        "requests": [
            {
                "number": r.number,
                "text": mask_private(r.text),
                "status": r.status,
                "urgency": r.urgency,
                "created_at": r.created_at.isoformat(),
                "township": r.township,
                "village": r.village,
                "overdue": r.overdue,
                "tickets": [t.number for t in r.tickets],
            }
            for r in rows
        ],
    }


async def tickets_(request: web.Request, scope: Scope, tree: AreaTree) -> dict[str, Any]:
    listed = await requests_(request, scope, tree)
    now = request.app[CLOCK].now()
    query = filtered_requests(scope, tree, filters_of(request, now), now)
    rows = await request_rows(query, tree, now, offset=(listed["page"] - 1) * PAGE_SIZE)
    return {
        "page": listed["page"],
        "tickets": [
            {
                "number": t.number,
                "request_number": r.number,
                "status": t.status,
                "urgency": t.urgency,
                "departments": t.departments,
                "resolve_due": t.resolve_due.isoformat() if t.resolve_due else None,
                "overdue": t.overdue,
                "township": r.township,
                "village": r.village,
            }
            for r in rows
            for t in r.tickets
        ],
    }


async def one_ticket(request: web.Request, scope: Scope, tree: AreaTree) -> Any:
    number = request.match_info["number"]
    found = await request_by_number(int(number)) if number.isdigit() else None
    if found is None:
        return web.json_response({"error": "not_found"}, status=404)
    if not await request_visible(scope, tree, found):
        return web.json_response({"error": "forbidden", "message": "不在您的查看范围内"}, status=403)
    d = await request_detail(found, tree)
    return {
        "request": {
            "number": found.number,
            "status": found.status,
            "urgency": found.urgency,
            "text": mask_private(found.text),
            "rating": d.rating,
        },
        "tickets": [
            {
                "number": t.number,
                "request_number": found.number,
                "status": t.status,
                "parts": [
                    {"department": d.departments.get(p.department_id), "primary": p.is_primary, "state": p.state}
                    for p in d.parts.get(t.id, [])
                ],
            }
            for t in d.tickets
        ],
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind,
                "department": d.departments.get(e.department_id or 0),
                "actor": d.actors.get(e.actor_id or 0),
                "reason": mask_private(e.reason),
            }
            for e in d.events
        ],
    }


async def metrics_(request: web.Request, scope: Scope, tree: AreaTree) -> dict[str, Any]:
    now = request.app[CLOCK].now()
    start, end = period_bounds(now, period_of(request))
    data = await scoped_rates(scope, tree, start, end, now, groupings=("all", "department"), reuse=reuse_of(request))
    counts = await overview_counts(scope, tree, now, period_bounds(now, 1)[0])
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "as_of": (data.as_of or now).isoformat(),
        "counts": counts.__dict__,
        "overall": _rates(data.overall),
        "departments": [_rates(r) for r in sorted(data.departments.values(), key=lambda r: r.name)],
    }


async def tasks_(request: web.Request, scope: Scope, tree: AreaTree) -> dict[str, Any]:
    now = request.app[CLOCK].now()
    visible = {a.code for a in tree.areas.values() if a.level == "village" and scope.sees_area(tree, a.id)}
    rows = await cadre_rows(request.app[POLICY].tasks, now.year, tree)
    return {"year": now.year, "cadres": [r.__dict__ for r in rows if scope.county or r.village_code in visible]}


async def visits_(request: web.Request, scope: Scope, tree: AreaTree) -> dict[str, Any]:
    now = request.app[CLOCK].now()
    visible = {a.name for a in tree.areas.values() if a.level == "village" and scope.sees_area(tree, a.id)}
    rows = await village_compliance(request.app[POLICY].visits, now.year, now.date(), tree)
    return {
        "year": now.year,
        "villages": [{**r.__dict__, "rate": r.rate} for r in rows if scope.county or r.village in visible],
    }


def add_api_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/requests", endpoint(requests_))
    app.router.add_get("/api/v1/tickets", endpoint(tickets_))
    app.router.add_get("/api/v1/tickets/{number}", endpoint(one_ticket))
    app.router.add_get("/api/v1/metrics", endpoint(metrics_))
    app.router.add_get("/api/v1/tasks", endpoint(tasks_, areas=True))
    app.router.add_get("/api/v1/visits", endpoint(visits_, areas=True))
