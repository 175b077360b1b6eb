"""A township, two departments and one whistled ticket, for the tests of the data model's rules."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from models import Area, Department, Request, Ticket


@pytest.fixture
async def ticket(db: str, clock: ManualClock) -> Ticket:
    county = await Area.create(code="longjiang", name="龙江县", level="county")
    township = await Area.create(code="baishan", name="白山镇", level="township", parent=county)
    await Department.create(code="transport", name="交通运输局")
    await Department.create(code="water", name="水务局")
    request = await Request.create(
        number=1001,
        text="后道老村的路冲坏了",
        channel="app",
        area=township,
        primary="transport",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    return await Ticket.create(number=1002, request=request, township=township, created_at=clock.now())
