"""The console in a real browser (Debian's headless chromium, driven by Playwright): sign in through the
sandbox's WeCom as a township member and as a liaison, open each page at 390 and 1280 px, check what the
page shows against the database, filter, export. Screenshots are kept under the test's tmp dir
(or GRIDWHISTLE_SCREENSHOTS) to look at."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models import Area, Request
from tests.bot.console.conftest import Console
from tests.bot.console.test_scopes import township_request_numbers

CHROMIUM = os.environ.get("GRIDWHISTLE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = ["/console/", "/console/tickets", "/console/departments", "/console/areas", "/console/tasks", "/console/visits"]

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed (pip install -e '.[test]')"
)
if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
    missing = f"no chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    if os.environ.get("GRIDWHISTLE_REQUIRE_BROWSER"):  # CI installs it: there, its absence is a failure
        pytest.fail(missing, pytrace=False)
    pytest.skip(missing, allow_module_level=True)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GRIDWHISTLE_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def open_as(browser, console: Console, userid: str, width: int):
    context = await browser.new_context(
        viewport={"width": width, "height": 844 if width < 500 else 900}, accept_downloads=True
    )
    page = await context.new_page()
    await page.goto(console.play_url(userid))
    return context, page


@pytest.mark.parametrize("width", [390, 1280])
async def test_township_member_in_the_browser(console: Console, browser, shots: Path, width: int) -> None:
    context, page = await open_as(browser, console, "zhangwei", width)
    try:
        assert page.url.endswith("/console/")
        mine = await township_request_numbers("baishan")
        open_mine = await Request.filter(
            number__in=sorted(mine), status__in=["recorded", "kept_in_grid", "whistled", "reopened"]
        ).count()
        assert await page.inner_text("[data-figure=open] b") == str(open_mine)
        assert await page.locator("svg.chart polyline").count() >= 1
        for path in PAGES:
            await page.goto(console.url + path)
            assert await page.title()
            assert "无权访问" not in await page.content(), path
            await page.screenshot(path=str(shots / f"zhangwei{path.replace('/', '_')}_{width}.png"), full_page=True)
            # nothing wider than the screen but the tables' own scrollers
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
        await page.goto(console.url + "/console/tickets")
        assert await page.get_attribute("[data-total]", "data-total") == str(len(mine))
        # the filter: only urgent ones
        await page.click("summary")  # the filters fold away until asked for
        await page.select_option("select[name=urgency]", "urgent")
        await page.click("form.filters button[type=submit]")
        urgent = await Request.filter(number__in=sorted(mine), urgency="urgent").count()
        assert await page.get_attribute("[data-total]", "data-total") == str(urgent)
        assert urgent < len(mine)
        assert await page.locator("li.row").count() == min(urgent, 50)
        await page.screenshot(path=str(shots / f"zhangwei_filtered_{width}.png"), full_page=True)
        # an export downloads a valid workbook with the same rows
        async with page.expect_download() as download_info:
            await page.click("[data-export]")
        download = await download_info.value
        book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))
        assert book.active.max_row - 1 == urgent
        # a row opens its detail with the trail
        await page.click("li.row a >> nth=0")
        await page.wait_for_selector("ol.trail")
        await page.screenshot(path=str(shots / f"zhangwei_detail_{width}.png"), full_page=True)
    finally:
        await context.close()


@pytest.mark.parametrize("width", [390, 1280])
async def test_liaison_in_the_browser(console: Console, browser, shots: Path, width: int) -> None:
    context, page = await open_as(browser, console, "liutao", width)
    try:
        assert page.url.endswith("/console/")
        tabs = await page.locator("nav.tabs a").all_inner_texts()
        assert tabs == ["总览", "诉求与哨单", "部门"]
        await page.goto(console.url + "/console/departments")
        rows = await page.locator("table.data tbody tr").all_inner_texts()
        assert rows and all("交通运输局" in r for r in rows)
        await page.screenshot(path=str(shots / f"liutao_departments_{width}.png"), full_page=True)
        response = await page.goto(console.url + "/console/areas")
        assert response is not None and response.status == 403
        assert "无权访问" in await page.content()
    finally:
        await context.close()


@pytest.mark.parametrize("width", [390, 1280])
async def test_county_leader_reads_the_index(console: Console, browser, shots: Path, width: int) -> None:
    context, page = await open_as(browser, console, "sunliqun", width)
    try:
        assert page.url.endswith("/console/")
        await page.click("nav.tabs a:has-text('指数')")
        await page.wait_for_selector("table.data")
        assert page.url.endswith("/console/index")
        rows = await page.locator("table.data tbody tr").all_inner_texts()
        villages = await Area.filter(level="village").count()
        assert len(rows) == villages and any("★" in r for r in rows)
        await page.screenshot(path=str(shots / f"sunliqun_index_{width}.png"), full_page=True)
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
        # a village's name opens its requests
        await page.click("table.data tbody tr >> nth=0 >> a")
        await page.wait_for_selector("[data-total]")
        assert "village=" in page.url
    finally:
        await context.close()
