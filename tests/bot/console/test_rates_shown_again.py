"""A figure set shown again (models/rate_snapshots.py) says when it was counted: 统计截至 on the page, `as_of` in the
API, and the page counts anew once it is older than `[server] console_rates_reuse_seconds`."""

from __future__ import annotations

from models import Person
from models.area_tree import AreaTree
from models.console_queries import period_bounds, scoped_rates
from models.console_scope import scope_of
from models.rate_snapshots import Reuse
from tests.bot.console.conftest import Console, SignIn


async def test_figures_shown_again_carry_their_time(console: Console, signed_in: SignIn) -> None:
    http = await signed_in("sunli")
    counted_at = console.clock.now()
    start, end = period_bounds(counted_at, 30)
    scope, tree = await scope_of(await Person.get(userid="sunli")), await AreaTree.load()
    # the county's departments for 30 days, kept as a large set would be (the demo month is small)
    kept = await scoped_rates(scope, tree, start, end, counted_at, groupings=("department",), reuse=Reuse(60, parts=1))
    assert kept.as_of is None and kept.departments

    console.clock.advance(seconds=30)
    async with http.get(f"{console.url}/console/departments") as response:
        page = await response.text()
    assert f"统计截至 {counted_at.strftime('%H:%M')}" in page

    console.clock.advance(seconds=31)  # older than the 60 s the settings allow: counted anew, no time shown
    async with http.get(f"{console.url}/console/departments") as response:
        assert "统计截至" not in await response.text()
    async with http.get(f"{console.url}/api/v1/metrics") as response:
        assert (await response.json())["as_of"] == console.clock.now().isoformat()  # small: counted live
