"""A step whose deadline the list gives in working days (`working_days = true`) skips weekends and the holidays of
config/calendar.toml, when the flow starts and when a late step moves the ones after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from bot.clock import SHANGHAI, ManualClock
from config.paths import DEMO_POWERS_FILE
from config.powers_file import read_powers
from handlers.core.context import Services
from models import OutboxMessage, PowerStep


@pytest.fixture
def services(services: Services, tmp_path: Path) -> Services:
    """The demo list with 大额资金使用's first two steps counted in working days."""
    text = DEMO_POWERS_FILE.read_text(encoding="utf-8")
    start = text.index('name = "党支部提议"', text.index('name = "大额资金使用"'))
    head, tail = text[:start], text[start:]
    tail = tail.replace("days = 5\n", "days = 5\nworking_days = true\n", 2)
    path = tmp_path / "powers.toml"
    path.write_text(head + tail, encoding="utf-8")
    return replace(services, powers=read_powers(path))


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(
        r.payload.get("text", "") for r in rows if not (r.dedupe_key or "").startswith(("powers:", "card:"))
    )


async def test_working_days_skip_the_weekend_at_the_start_and_when_a_step_is_late(county, say, clock: ManualClock):
    clock.advance(days=4)  # Friday 2026-11-20 09:00
    reply = text_of(await say("app", "jiangfeng", "权力 启动 大额资金 修缮村部 8万元"))
    assert "第1步「党支部提议」由村党组织书记负责，11-27 09:00 前完成" in reply  # Mon–Fri, not Wednesday the 25th
    clock.advance(days=8)  # recorded on Saturday 11-28, a day late
    await say("app", "jiangfeng", "权力 完成 1 1 支部提议")
    second = await PowerStep.get(flow_id=1, position=2)
    assert second.due_at == datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI)  # five working days from the Saturday
