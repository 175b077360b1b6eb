"""The console's pages: each asks models/ for its figures within the viewer's scope and renders a template;
every table also answers `?export=xlsx` with the same columns (bot/console/tables.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.commands.ticket import DETAILS, Words
from bot.console.auth import refusal, sign_in_redirect, viewer
from bot.console.chart import line_chart
from bot.console.tables import XLSX_TYPE, Cell, Table, percent, xlsx_bytes
from bot.keys import CLOCK, POLICY, SERVICES, SETTINGS
from config.index_file import Index, read_index
from config.texts import Texts
from models import AccessRecord, Area, Department
from models.area_tree import AreaTree
from models.care_report import village_compliance
from models.console_queries import (
    PAGE_SIZE,
    Filters,
    ScopedRates,
    area_figures,
    filtered_requests,
    overview_counts,
    period_bounds,
    request_by_number,
    request_detail,
    request_rows,
    request_visible,
    scoped_rates,
    trend,
    worst,
    worst_with_keys,
)
from models.console_scope import Scope
from models.index_standing import CadreResult, standing
from models.rate_snapshots import Reuse
from models.tasks_report import cadre_rows
from models.ticket_metrics import Rates
from nlp.privacy import mask_private

PERIODS = {7: "近7天", 30: "近30天", 90: "近90天", 365: "近一年"}
STATUSES = {
    "open": "未办结",
    "recorded": "已登记",
    "kept_in_grid": "村里处理中",
    "whistled": "部门办理中",
    "resolved": "已办结",
    "closed": "已评价",
    "reopened": "重新办理",
}
URGENCIES = {"urgent": "紧急", "normal": "一般"}
Page = Callable[[web.Request, Scope, AreaTree], Awaitable[web.StreamResponse]]


def nav_for(scope: Scope) -> list[tuple[str, str]]:
    items = [("/console/", "总览"), ("/console/tickets", "诉求与哨单"), ("/console/departments", "部门")]
    if scope.sees_areas:
        items += [("/console/areas", "乡镇/村"), ("/console/tasks", "实事"), ("/console/visits", "走访")]
        items += [("/console/index", "指数")]
    return items


def page(*, areas: bool = False) -> Callable[[Page], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Signed in (else to WeCom), allowed by role (else 403), then the page with the scope and the area tree."""

    def wrap(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def view(request: web.Request) -> web.StreamResponse:
            scope = await viewer(request)
            if scope is None:
                raise sign_in_redirect(request)
            if scope.empty or (areas and not scope.sees_areas):
                return refusal(request, 403, "无权访问", "这一页不在您的查看范围内。")
            return await handler(request, scope, await AreaTree.load())

        return view

    return wrap


def render(request: web.Request, template: str, scope: Scope, **context: Any) -> web.Response:
    return aiohttp_jinja2.render_template(
        template, request, {"scope": scope, "nav": nav_for(scope), "path": request.path, **context}
    )


def reuse_of(request: web.Request) -> Reuse:
    return Reuse(request.app[SETTINGS].server.console_rates_reuse_seconds)


def as_of_text(data: ScopedRates, now: datetime) -> str:
    """统计截至 HH:MM for figures shown again (models/rate_snapshots.py); empty for figures counted just now."""
    return data.as_of.astimezone(now.tzinfo).strftime("%H:%M") if data.as_of else ""


def period_of(request: web.Request) -> int:
    days = request.query.get("days", "30")
    return int(days) if days.isdigit() and int(days) in PERIODS else 30


def table_response(request: web.Request, scope: Scope, table: Table, **context: Any) -> web.StreamResponse:
    if request.query.get("export") == "xlsx":
        return web.Response(
            body=xlsx_bytes(table),
            headers={
                "Content-Type": XLSX_TYPE,
                "Content-Disposition": f'attachment; filename="{table.name}.xlsx"',
            },
        )
    query = {k: v for k, v in request.query.items() if k != "export"}
    export = f"{request.path}?{urlencode({**query, 'export': 'xlsx'})}"
    return render(
        request, "table.html", scope, table=table, export=export, periods=PERIODS, days=period_of(request), **context
    )


def rate_cells(rates: Rates | None) -> list[Any]:
    if rates is None:
        return [0, 0, percent(None), percent(None), percent(None), percent(None)]
    return [
        rates.ticket_count,
        rates.episodes,
        percent(rates.response_rate),
        percent(rates.resolution_rate),
        percent(rates.on_time_rate),
        percent(rates.satisfaction_rate),
    ]


RATE_COLUMNS = ["哨单", "件次", "响应率", "解决率", "按时办结率", "满意率"]


# -- 总览 ---------------------------------------------------------------------------------------


@page()
async def overview(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    days = period_of(request)
    start, end = period_bounds(now, days)
    counts = await overview_counts(scope, tree, now, period_bounds(now, 1)[0])
    data = await scoped_rates(
        scope,
        tree,
        start,
        end,
        now,
        groupings=("all", "department", "village", "slice"),
        buckets=min(days, 12) if days > 7 else 7,
        reuse=reuse_of(request),
    )
    overall = data.overall
    points = trend(data, start, end)
    chart = line_chart(
        [p.label for p in points],
        {
            "响应率": [p.rates.response_rate for p in points],
            "解决率": [p.rates.resolution_rate for p in points],
            "按时办结率": [p.rates.on_time_rate for p in points],
            "满意率": [p.rates.satisfaction_rate for p in points],
        },
    )
    departments = worst_with_keys(data.departments)
    villages = worst_with_keys(data.villages)
    return render(
        request,
        "overview.html",
        scope,
        counts=counts,
        overall=overall,
        chart=chart,
        worst_departments=departments,
        worst_villages=villages,
        periods=PERIODS,
        days=days,
        as_of=as_of_text(data, now),
    )


# -- 诉求与哨单 ---------------------------------------------------------------------------------


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def filters_of(request: web.Request, now: datetime) -> Filters:
    q = request.query
    days = q.get("days", "")
    start = period_bounds(now, int(days))[0] if days.isdigit() and (int(days) in PERIODS or days == "1") else None
    return Filters(
        township=_int(q.get("township", "")),
        village=_int(q.get("village", "")),
        department=_int(q.get("department", "")),
        status=q.get("status", "") if q.get("status", "") in STATUSES else "",
        urgency=q.get("urgency", "") if q.get("urgency", "") in URGENCIES else "",
        start=start,
        overdue=q.get("overdue") == "1",
        words=q.get("q", "")[:64],
    )


def _choices(scope: Scope, tree: AreaTree) -> tuple[list[Area], list[Area]]:
    townships = sorted(
        (
            a
            for a in tree.areas.values()
            if a.level == "township"
            and scope.sees_area(tree, a.id)
            or (a.level == "township" and any(tree.within(v, a.id) for v in scope.villages))
        ),
        key=lambda a: a.code,
    )
    villages = sorted(
        (a for a in tree.areas.values() if a.level == "village" and scope.sees_area(tree, a.id)), key=lambda a: a.code
    )
    return townships, villages


@page()
async def tickets(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    filters = filters_of(request, now)
    query = filtered_requests(scope, tree, filters, now)
    export = request.query.get("export") == "xlsx"
    page_no = max(_int(request.query.get("page", "1")) or 1, 1)
    total = await query.count()
    rows = await request_rows(
        query, tree, now, offset=0 if export else (page_no - 1) * PAGE_SIZE, limit=None if export else PAGE_SIZE
    )
    table = Table(
        "诉求与哨单",
        "诉求与哨单",
        ["诉求号", "哨单号", "内容", "乡镇", "村", "部门", "紧急程度", "状态", "登记时间", "超期"],
    )
    for row in rows:
        table.add(
            Cell(row.number, f"#{row.number}", link=f"/console/tickets/{row.number}"),
            Cell("、".join(str(t.number) for t in row.tickets), "、".join(f"#{t.number}" for t in row.tickets)),
            mask_private(row.text),
            row.township,
            row.village,
            row.departments,
            URGENCIES.get(row.urgency, row.urgency),
            STATUSES.get(row.status, row.status),
            Cell(row.created_at.astimezone(now.tzinfo).strftime("%Y-%m-%d %H:%M")),
            Cell("是" if row.overdue else "", warn=row.overdue),
        )
    if export:
        return table_response(request, scope, table)
    townships, villages = _choices(scope, tree)
    departments = await Department.all().order_by("code")
    if not scope.county and scope.departments and not scope.area_roots():
        departments = [d for d in departments if d.id in scope.departments]
    query_args = {k: v for k, v in request.query.items() if k not in ("page", "export")}
    return render(
        request,
        "tickets.html",
        scope,
        rows=rows,
        table=table,
        total=total,
        page_no=page_no,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        args=request.query,
        base_query=urlencode(query_args),
        export=f"/console/tickets?{urlencode({**query_args, 'export': 'xlsx'})}",
        townships=townships,
        villages=villages,
        departments=departments,
        statuses=STATUSES,
        urgencies=URGENCIES,
        periods=PERIODS,
    )


@page()
async def ticket_detail(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    number = _int(request.match_info["number"].lstrip("#"))
    found = await request_by_number(number) if number else None
    if found is None:
        return refusal(request, 404, "没有这个编号", f"没有编号为 #{request.match_info['number']} 的诉求或哨单。")
    if not await request_visible(scope, tree, found):
        return refusal(request, 403, "无权访问", "这件诉求不在您的查看范围内。")
    detail = await request_detail(found, tree)
    now = request.app[CLOCK].now()
    await AccessRecord.create(
        actor=scope.userid,
        action="show",
        subject=f"request:{found.number}",
        via="console",
        detail=f"console /console/tickets/{number}",
        at=now,
    )
    words = Words(Texts.load(), {"departments": {d.code: d.name for d in await Department.all()}})
    return render(
        request,
        "detail.html",
        scope,
        d=detail,
        words=words,
        details=DETAILS,
        mask=mask_private,
        tz=now.tzinfo,
        now=now,
        statuses=STATUSES,
        urgencies=URGENCIES,
    )


@page()
async def media(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    from models import Attachment, Request

    attachment = await Attachment.get_or_none(id=_int(request.match_info["id"]) or 0)
    if attachment is None:
        raise web.HTTPNotFound(text="没有这张照片")
    owner = await Request.get(id=attachment.request_id)
    if not await request_visible(scope, tree, owner):
        return refusal(request, 403, "无权访问", "这张照片不在您的查看范围内。")
    path = Path(attachment.local_path)
    media_dir = Path(request.app[SETTINGS].media.dir).resolve()
    if not attachment.local_path or not path.resolve().is_relative_to(media_dir) or not path.is_file():
        raise web.HTTPNotFound(text="照片尚未保存到本地")
    return web.FileResponse(path)


# -- 部门, 乡镇/村 ------------------------------------------------------------------------------


@page()
async def departments(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    start, end = period_bounds(now, period_of(request))
    data = await scoped_rates(scope, tree, start, end, now, groupings=("department",), reuse=reuse_of(request))
    rows = {
        key: value for key, value in data.departments.items() if scope.sees_department(key) or not scope.departments
    }
    table = Table(
        "部门",
        f"部门 · {PERIODS[period_of(request)]}",
        ["部门", *RATE_COLUMNS, "退单", "进行中", "平均签收（小时）", "平均办结（小时）"],
    )
    for department_id, rates in sorted(rows.items(), key=lambda kv: worst(list(rows.values()), len(rows)).index(kv[1])):
        table.add(
            Cell(rates.name, link=f"/console/tickets?department={department_id}&days={period_of(request)}"),
            *rate_cells(rates),
            rates.returned,
            rates.ongoing,
            Cell(round(rates.avg_respond_hours, 1) if rates.avg_respond_hours is not None else None),
            Cell(round(rates.avg_done_hours, 1) if rates.avg_done_hours is not None else None),
        )
    return table_response(request, scope, table, as_of=as_of_text(data, now))


@page(areas=True)
async def areas(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    days = period_of(request)
    start, end = period_bounds(now, days)
    level = "township" if request.query.get("level") == "township" else "village"
    data = await scoped_rates(scope, tree, start, end, now, groupings=(level,), reuse=reuse_of(request))
    figures = await area_figures(scope, tree, data, now, start, end, level)
    table = Table(
        "乡镇" if level == "township" else "村",
        f"{'乡镇' if level == 'township' else '村'} · {PERIODS[days]}",
        [
            "乡镇",
            "村" if level == "village" else "乡镇名",
            "户数",
            "诉求",
            "每百户诉求",
            "不出网格",
            "不出村",
            *RATE_COLUMNS,
        ],
    )
    for f in figures:
        area_link = f"/console/tickets?{'village' if level == 'village' else 'township'}={f.area.id}&days={days}"
        table.add(
            f.township,
            Cell(f.area.name, link=area_link),
            f.households,
            Cell(f.requests, link=area_link),
            Cell(round(f.per_hundred, 1) if f.per_hundred is not None else None),
            percent(f.grid_share),
            percent(f.village_share),
            *rate_cells(f.rates),
        )
    return table_response(
        request,
        scope,
        table,
        levels={"village": "按村", "township": "按乡镇"},
        level=level,
        as_of=as_of_text(data, now),
    )


# -- 实事, 走访 ---------------------------------------------------------------------------------


@page(areas=True)
async def tasks(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    policy = request.app[POLICY].tasks
    year = _int(request.query.get("year", "")) or now.year
    visible = {a.code for a in tree.areas.values() if a.level == "village" and scope.sees_area(tree, a.id)}
    table = Table(
        "实事",
        f"实事 · {year}年（每人{policy.quota_min}–{policy.quota_max}件）",
        ["乡镇", "村", "干部", "已登记", "已完成", "未达标"],
    )
    for row in await cadre_rows(policy, year, tree):
        if scope.county or row.village_code in visible:
            table.add(
                row.township,
                row.village,
                row.name,
                row.registered,
                row.done,
                Cell("是" if row.behind else "", warn=row.behind),
            )
    return table_response(request, scope, table)


@page(areas=True)
async def visits(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    year = _int(request.query.get("year", "")) or now.year
    visible = {a.name for a in tree.areas.values() if a.level == "village" and scope.sees_area(tree, a.id)}
    table = Table("走访", f"包保走访 · {year}年", ["乡镇", "村", "包保户", "应走访", "已走访", "走访率"])
    for row in await village_compliance(request.app[POLICY].visits, year, now.date(), tree):
        if scope.county or row.village in visible:
            table.add(row.township, row.village, row.households, row.due, row.visited, percent(row.rate))
    return table_response(request, scope, table)


# -- 指数 ---------------------------------------------------------------------------------------


def index_of(app: web.Application) -> Index | None:
    """The year's performance index the service runs with ([index] file), as the chat commands have it."""
    services = app.get(SERVICES)
    if services is not None:
        return services.index
    file = app[SETTINGS].index.file
    return read_index(file) if file is not None else None


def stars_cell(cadres: list[CadreResult]) -> Cell:
    """Each star-rated cadre of a village: 「姜峰 村党组织书记 4星」 in the XLSX, with ★ on the page."""
    return Cell(
        "；".join(f"{c.name} {c.post_name} {c.stars}星" for c in cadres) or None,
        "；".join(f"{c.name}（{c.post_name}）{'★' * c.stars}{'☆' * (5 - c.stars)}" for c in cadres),
    )


@page(areas=True)
async def index(request: web.Request, scope: Scope, tree: AreaTree) -> web.StreamResponse:
    performance = index_of(request.app)
    if performance is None:
        return refusal(request, 404, "没有绩效指数", "尚未设置本年度的绩效指数文件，暂无指数和星级。")
    now = request.app[CLOCK].now()
    result = await standing(performance, request.app[POLICY], now, tree)
    cadres: dict[int, list[CadreResult]] = {}
    for cadre in result.cadres:
        cadres.setdefault(cadre.village_id, []).append(cadre)
    table = Table(
        "指数",
        f"{performance.title} · {performance.year}年",
        ["乡镇", "村", "总分", "得分率", "县排名", "乡镇排名", "未打分", "结果", "干部星级"],
    )
    for village in result.ranked():
        if not scope.sees_area(tree, village.village_id):
            continue
        missing = len(village.missing)
        table.add(
            village.township,
            Cell(village.name, link=f"/console/tickets?village={village.village_id}&days=365"),
            village.total,
            Cell(village.percent(performance) / 100, f"{village.percent(performance):.1f}%"),
            village.rank_county,
            village.rank_township,
            Cell(missing, warn=missing > 0),
            "已确认" if village.final else "未确认",
            stars_cell(cadres.get(village.village_id, [])),
        )
    return table_response(request, scope, table)
