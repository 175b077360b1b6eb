"""Every role against every page and API route: the server decides, and figures match the database."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from bot.keys import POLICY as POLICY_KEY
from models import Area, Assignment, Department, Request, Ticket
from models.area_tree import AreaTree
from models.console_queries import descendants
from tests.bot.console.conftest import Console, SignIn

PAGES = [
    "/console/",
    "/console/tickets",
    "/console/departments",
    "/console/areas",
    "/console/tasks",
    "/console/visits",
    "/console/index",
]
APIS = ["/api/v1/requests", "/api/v1/tickets", "/api/v1/metrics", "/api/v1/tasks", "/api/v1/visits"]
AREA_ONLY = {"/console/areas", "/console/tasks", "/console/visits", "/console/index", "/api/v1/tasks", "/api/v1/visits"}
# (userid, role): the county admin, a township committee member, a liaison, a village secretary
ALLOWED = [
    ("sunli", "county"),
    ("sunliqun", "county"),  # 县领导
    ("zhangwei", "township"),
    ("liutao", "liaison"),
    ("jiangfeng", "village"),
]


@pytest.mark.parametrize(("userid", "kind"), ALLOWED)
async def test_each_role_on_each_route(console: Console, signed_in: SignIn, userid: str, kind: str) -> None:
    http = await signed_in(userid)
    for path in PAGES + APIS:
        async with http.get(console.url + path, allow_redirects=False) as response:
            expected = 403 if kind == "liaison" and path in AREA_ONLY else 200
            assert response.status == expected, (userid, path, await response.text())


async def test_refused_roles_and_anonymous(console: Console, signed_in: SignIn) -> None:
    grid_member = await signed_in("lidawei")
    for path in PAGES + APIS:
        async with grid_member.get(console.url + path, allow_redirects=False) as response:
            # never signed in (refused at sign-in): pages go to WeCom, the API answers 401
            assert response.status == (401 if path.startswith("/api/") else 302), path
    anonymous = await signed_in("")
    async with anonymous.get(console.url + "/api/v1/tickets") as response:
        assert response.status == 401


async def township_request_numbers(code: str) -> set[int]:
    tree = await AreaTree.load()
    township = await Area.get(code=code)
    areas = descendants(tree, {township.id})
    return set(await Request.filter(area_id__in=sorted(areas)).values_list("number", flat=True))


async def test_township_sees_its_township_only(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("zhangwei")  # 白山乡
    mine = await township_request_numbers("baishan")
    others = await township_request_numbers("longxing")
    assert mine and others
    async with http.get(f"{console.url}/api/v1/requests?page=1") as response:
        listed = await response.json()
    assert listed["total"] == len(mine)
    assert {r["number"] for r in listed["requests"]} <= mine
    async with http.get(f"{console.url}/console/tickets/{min(others)}") as response:
        assert response.status == 403
    async with http.get(f"{console.url}/api/v1/tickets/{min(others)}") as response:
        assert response.status == 403
    async with http.get(f"{console.url}/console/tickets/{min(mine)}") as response:
        page = await response.text()
        assert response.status == 200 and f"#{min(mine)}" in page
        assert "13912345678" not in page and "办理经过" in page  # phone numbers masked for cadres


async def test_liaison_sees_its_department_tickets_only(console: Console, signed_in: SignIn) -> None:
    transport = await Department.get(code="transport")
    ticket_ids = await Assignment.filter(department_id=transport.id).values_list("ticket_id", flat=True)
    request_ids = await Ticket.filter(id__in=ticket_ids).values_list("request_id", flat=True)
    numbers = set(await Request.filter(id__in=request_ids).values_list("number", flat=True))
    http = await signed_in("liutao")
    async with http.get(f"{console.url}/api/v1/requests") as response:
        listed = await response.json()
    assert listed["total"] == len(numbers)
    async with http.get(f"{console.url}/api/v1/tickets") as response:
        tickets = (await response.json())["tickets"]
    assert tickets and all("交通运输局" in t["departments"] for t in tickets)
    assert all(t["request_number"] in numbers for t in tickets)


async def test_overview_figures_equal_the_database(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("sunli")
    now = console.clock.now()
    open_count = await Request.filter(status__in=["recorded", "kept_in_grid", "whistled", "reopened"]).count()
    overdue = await Request.filter(
        id__in=await Ticket.filter(status="open", resolve_due__lt=now).values_list("request_id", flat=True)
    ).count()
    async with http.get(f"{console.url}/api/v1/metrics") as response:
        counts = (await response.json())["counts"]
    assert counts["open"] == open_count and counts["overdue"] == overdue
    # each figure links down to its rows: 今日新增 is the list of today's requests
    console.clock.advance(hours=1)
    today = await Request.filter(created_at__gte=now.replace(hour=0, minute=0, second=0, microsecond=0)).count()
    async with http.get(f"{console.url}/api/v1/requests?days=1") as response:
        assert (await response.json())["total"] == today
    async with http.get(f"{console.url}/api/v1/metrics") as response:
        assert (await response.json())["counts"]["new_today"] == today


async def test_export_is_the_table(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("zhangwei")
    async with http.get(f"{console.url}/console/tickets?export=xlsx") as response:
        assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(await response.read()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["诉求号", "哨单号", "内容"]
    assert sheet.max_row - 1 == len(await township_request_numbers("baishan"))
    for path in ("/console/departments", "/console/areas", "/console/tasks", "/console/visits"):
        async with http.get(f"{console.url}{path}?export=xlsx") as response:
            assert response.status == 200
            load_workbook(io.BytesIO(await response.read()))


async def index_rows(http, console: Console, export: bool = False) -> list[list[str]]:
    async with http.get(console.url + "/console/index" + ("?export=xlsx" if export else "")) as response:
        assert response.status == 200
        if export:
            book = load_workbook(io.BytesIO(await response.read()))
            return [[str(c.value) if c.value is not None else "" for c in row] for row in book.active.iter_rows()][1:]
        html = await response.text()
    body = html.split('<table class="data">')[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows
    ]


async def test_index_page_is_scoped_and_agrees_with_the_standing(console: Console, signed_in: SignIn) -> None:
    from bot.console.views import index_of
    from models.index_standing import standing

    index = index_of(console.app)
    assert index is not None
    tree = await AreaTree.load()
    result = await standing(index, console.app[POLICY_KEY], console.clock.now(), tree)
    villages = {v.name: v for v in result.villages.values()}
    county = await index_rows(await signed_in("sunliqun"), console)
    assert sorted(r[1] for r in county) == sorted(villages)  # the county: every village, best first
    assert [float(r[2]) for r in county] == sorted((float(r[2]) for r in county), reverse=True)
    for row in county:
        village = villages[row[1]]
        assert (float(row[2]), int(row[4]), int(row[5])) == (village.total, village.rank_county, village.rank_township)
        stars = [c for c in result.cadres if c.village_id == village.village_id]
        assert row[8].count("★") == sum(c.stars for c in stars)
        assert all(c.name in row[8] for c in stars)
    assert any("★" in r[8] for r in county)  # the demo has star-rated cadres
    baishan = await Area.get(code="baishan")
    township = await index_rows(await signed_in("zhangwei"), console)
    assert township and {villages[r[1]].township_id for r in township} == {baishan.id}
    assert len(township) == sum(1 for v in villages.values() if v.township_id == baishan.id) < len(county)
    secretary = await index_rows(await signed_in("jiangfeng"), console)
    assert [r[1] for r in secretary] == ["后道老村"]
    exported = await index_rows(await signed_in("zhangwei"), console, export=True)
    assert [(r[1], r[4]) for r in exported] == [(r[1], r[4]) for r in township]


async def test_area_shares_are_where_matters_were_resolved(console: Console, signed_in: SignIn) -> None:
    from models.console_queries import period_bounds
    from models.resolution_shares import where_resolved

    now = console.clock.now()
    # two matters of 后道老村 the grid resolved without a whistle: the grid's share is no longer 0
    village = await Area.get(code="houdaolao")
    grid = await Area.filter(level="grid", code__startswith="houdaolao").first()
    assert grid is not None
    for number in (9001, 9002):
        await Request.create(
            number=number, text="路灯", channel="relay", area_id=grid.id, status="resolved", primary="village",
            urgency="normal", created_at=now, updated_at=now, resolved_at=now,
        )  # fmt: skip
    start, end = period_bounds(now, 30)
    expected = {r.area_id: r for r in await where_resolved(start, end, now) if r.level == "village"}
    async with (await signed_in("sunli")).get(console.url + "/console/areas?export=xlsx") as response:
        book = load_workbook(io.BytesIO(await response.read()))
    names = {a.name: a.id for a in await Area.filter(level="village")}
    rows = list(book.active.iter_rows(values_only=True))
    column = rows[0].index("不出网格")
    for row in rows[1:]:
        resolution = expected.get(names[row[1]])
        grid_share = resolution.grid_share if resolution else None
        village_share = (resolution.grid + resolution.village) / resolution.resolved if resolution else None
        assert row[column] == (None if grid_share is None else round(grid_share, 4)), row
        assert row[column + 1] == (None if village_share is None else round(village_share, 4)), row
    mine = next(r for r in rows[1:] if names[r[1]] == village.id)
    assert mine[column] and mine[column] > 0
