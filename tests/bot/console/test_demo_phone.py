"""The demo page on a phone (390 px) in headless chromium: the chat fills the screen, the people list is
behind 名单, and 控制台 opens the console signed in as the person being played."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.demo import RunningDemo, running_demo
from config.settings import Settings
from tests.bot.console.test_browser import browser, shots  # noqa: F401 (fixtures)
from tests.bot.sandbox.test_demo import free_port, on_port


@pytest.fixture
async def demo(settings: Settings, clock) -> AsyncIterator[RunningDemo]:
    async with running_demo(on_port(settings, free_port()), clock=clock, background=False) as running:
        yield running


async def test_demo_page_fits_a_phone_and_opens_the_console(demo: RunningDemo, browser, shots: Path) -> None:  # noqa: F811
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    try:
        await page.goto(demo.page_url)
        await page.wait_for_selector("#who option", state="attached")
        assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        assert await page.is_visible("#say") and not await page.is_visible("#who")
        await page.screenshot(path=str(shots / "demo_390.png"))
        await page.click("#people-toggle")
        assert await page.is_visible("#who")
        await page.select_option("#who", "zhangwei")
        assert await page.is_visible("#say")
        async with context.expect_page() as opened:
            await page.click("#console-link")
        console = await opened.value
        await console.wait_for_load_state()
        assert console.url.endswith("/console/")
        assert "张伟" in await console.inner_text("header")
        await console.screenshot(path=str(shots / "demo_console_390.png"))
    finally:
        await context.close()


async def test_reset_starts_over_on_a_fresh_database(settings: Settings, clock, browser, tmp_path: Path) -> None:  # noqa: F811
    import asyncio

    from bot.sandbox.demo import serve_demo

    database = tmp_path / "demo.sqlite3"
    demo_settings = on_port(
        settings.model_copy(update={"database": settings.database.model_copy(update={"url": f"sqlite://{database}"})}),
        free_port(),
    )
    stop, runs = asyncio.Event(), []
    task = asyncio.create_task(serve_demo(demo_settings, stop, clock=clock, on_start=runs.append))
    try:
        while not runs:
            await asyncio.sleep(0.05)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        await page.goto(runs[0].page_url)
        await page.fill("#text", "三屯那个桥塌了一半，车过不去")
        await page.click("#send")
        await page.wait_for_selector(".row.mine")
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        async with page.expect_navigation(timeout=60000):  # the page reloads once the new run answers
            await page.click("#reset")
        await page.wait_for_selector("#who option", state="attached")
        assert len(runs) == 2
        assert await page.locator(".row.mine").count() == 0
        archived = [p for p in tmp_path.iterdir() if p.name.startswith("demo.sqlite3.reset-")]
        assert archived and database.exists()  # the old file kept beside the fresh one
        await context.close()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
