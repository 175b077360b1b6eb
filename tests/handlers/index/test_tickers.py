"""The index's tickers: the monthly standing to each village secretary once, the year-end results to each
township committee member once, and the confirmation that makes them final."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from handlers.index import tickers
from models import IndexConfirmation, OutboxMessage
from tests.handlers.index.test_year import click, text_of

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


def at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, 30, tzinfo=SHANGHAI)


async def test_the_monthly_standing_goes_once_to_each_village_secretary(county, clock, services):
    clock.set(at(4, 5, 8))
    assert await tickers.tick(services) == 0  # before the hour
    clock.set(at(4, 5, 9))
    # three runs at once, as two processes and a restart might: each secretary once
    assert sum(await asyncio.gather(*(tickers.tick(services) for _ in range(3)))) == 5
    rows = await OutboxMessage.filter(dedupe_key__startswith="index:2026:04:standing:").order_by("dedupe_key")
    assert {r.dedupe_key.rsplit(":", 1)[1] for r in rows} == {
        "yinxiuying",
        "jiangfeng",
        "qiguoqing",
        "mafugui",
        "liguoqiang",
    }
    jiangfeng = next(r for r in rows if r.dedupe_key.endswith("jiangfeng"))
    assert (
        "4月绩效指数通报" in jiangfeng.payload["text"]
        and "后道老村 · 测试县2026年绩效指数" in jiangfeng.payload["text"]
    )
    clock.set(at(4, 20, 13))  # a later run the same month: nothing new
    assert await tickers.tick(services) == 0
    clock.set(at(5, 6, 10))  # missed the 5th: made up the next day
    assert await tickers.tick(services) == 5


async def test_the_year_end_results_are_confirmed_by_the_township(county, clock, services, say):
    clock.set(at(12, 28, 9))
    assert await tickers.tick(services) == 5 + 8  # December's standing, and a card to each of 8 committee members
    card = (await OutboxMessage.get(dedupe_key="index:2026:final:baishan:zhangwei")).payload["card"]
    assert "白山镇 2026年绩效指数结果，请确认" in str(card) and "后道老村" in str(card)
    township = card["buttons"][0]["key"]
    assert "结果已确认，为最终结果" in text_of(await click(say, "zhangwei", township))
    assert "已由张伟确认过了" in text_of(await click(say, "lihong", township))
    assert "不在您所在的乡镇" in text_of(await click(say, "chenjing", township))
    assert await IndexConfirmation.filter(year=2026).count() == 1
    assert "（已经乡镇确认）" in text_of(await say("app", "jiangfeng", "指数"))
    clock.set(at(12, 29, 9))
    assert await tickers.tick(services) == 0
