"""A small index of five criteria for the demo county, written out so each test can be checked by hand."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import SHANGHAI, ManualClock
from config.index_file import Index, read_index
from handlers.core.context import Services
from models import Area, Department, Household, Request, Ticket, TicketEvent

SMALL_INDEX = """
year = 2026
title = "测试县2026年绩效指数"

[stars]
post_share = 0.5
thresholds = [60, 70, 80, 90]
person_points = 4

[subsidy]
base = { secretary = 30000 }
default_base = 20000
factor = [0.6, 0.8, 1.0, 1.1, 1.2]

[tell]
monthly_day = 5
hour = 9
confirm_date = "12-28"

[[category]]
code = "party"
name = "党的建设"

[[category.item]]
code = "org"
name = "组织建设"

[[category.item.criterion]]
code = "c1"
name = "三会一课"
points = 4
scored_by = "township"
post = "secretary"

[[category.item.criterion]]
code = "c2"
name = "主题党日"
points = 2
scored_by = "township"
post = "deputy_secretary"

[[category]]
code = "governance"
name = "基层治理"

[[category.item]]
code = "grid"
name = "网格化治理"

[[category.item.criterion]]
code = "c3"
name = "小事不出村"
points = 4
scored_by = "figure"
figure = "kept_in_village_share"
rule = [{ at_least = 0.5, points = 4 }, { at_least = 0.25, points = 2 }]

[[category.item.criterion]]
code = "c4"
name = "群众满意"
points = 4
scored_by = "both"
figure = "satisfaction_rate"
rule = [{ at_least = 0.9, points = 2 }, { at_least = 0.5, points = 1 }]

[[category.item.criterion]]
code = "c5"
name = "诉求量"
points = 2
scored_by = "figure"
figure = "requests_per_100_households"
rule = [{ at_most = 10, points = 2 }, { at_most = 50, points = 1 }]
"""


@pytest.fixture
def index_file(tmp_path: Path) -> Path:
    path = tmp_path / "index.toml"
    path.write_text(SMALL_INDEX, encoding="utf-8")
    return path


@pytest.fixture
def index(index_file: Path) -> Index:
    return read_index(index_file)


@pytest.fixture
def services(services: Services, index: Index) -> Services:
    """The shared services with this folder's index, as the app builds them when [index] file is set."""
    return dataclasses.replace(services, index=index)


async def village_requests(clock: ManualClock) -> None:
    """后道老村's year: one request resolved in the grid, one by the village (given to it by the village tier),
    one whistled and rated 满意, one still undecided, and one merged into another (counted nowhere)."""
    grid = await Area.get(code="houdaolao-1")
    household = await Household.filter(grid_id=grid.id).first()
    now = clock.now()

    async def request(number: int, status: str, **extra: object) -> Request:
        return await Request.create(
            number=number,
            text=f"诉求{number}",
            channel="app",
            area=grid,
            household=household,
            primary="village",
            status=status,
            created_at=now,
            updated_at=now,
            **extra,
        )

    kept = await request(2001, "kept_in_grid", resolved_at=now)
    in_village = await request(2002, "resolved", resolved_at=now)
    await TicketEvent.create(request=in_village, kind="at_village", data={"due": now.isoformat()}, at=now)
    whistled = await request(2003, "closed", satisfaction="satisfied", resolved_at=now)
    await request(2004, "recorded")
    await request(2005, "kept_in_grid", merged_into=kept)
    township = await Area.get(code="baishan")
    ticket = await Ticket.create(number=3001, request=whistled, township=township, created_at=now)
    transport = await Department.get(code="transport")
    due = {"respond_due": datetime(2026, 3, 3, 10, tzinfo=SHANGHAI).isoformat()}
    due["resolve_due"] = datetime(2026, 3, 9, 10, tzinfo=SHANGHAI).isoformat()
    await TicketEvent.create(ticket=ticket, department=transport, kind="notified", data=due, at=now)
    await TicketEvent.create(ticket=ticket, department=transport, kind="on_duty", at=clock.advance(hours=1))
    await TicketEvent.create(ticket=ticket, department=transport, kind="done", at=clock.advance(days=1))
