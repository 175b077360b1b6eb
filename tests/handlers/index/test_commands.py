"""打分, 指数 and 我的星级 in chat through the real dispatcher: who may do what, and the polite refusals."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.dispatch import Dispatcher
from handlers.features import routers
from models import IndexConfirmation, IndexScore, OutboxMessage
from tests.handlers.index.test_year import click, scored, text_of

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


async def test_scoring_refusals(county, say):
    async def answer(who: str, text: str) -> str:
        return text_of(await say("app", who, text))

    assert "请这样打分" in await answer("zhangwei", "打分 后道老村 c1")
    assert "没有找到「后道新村」" in await answer("zhangwei", "打分 后道新村 c1 3")
    assert "文化村不在您所在的乡镇" in await answer("zhangwei", "打分 文化村 c1 3")
    assert "没有「c9」这一条" in await answer("zhangwei", "打分 后道老村 c9 3")
    assert "c3（小事不出村）由网格哨的数据自动计分" in await answer("zhangwei", "打分 后道老村 c3 3")
    assert "c4 乡镇打分最多 2 分" in await answer("zhangwei", "打分 后道老村 c4 3")  # the figure gives the other 2
    assert "请这样打分" in await answer("zhangwei", "打分 后道老村 c1 -1")
    assert "只有乡镇党委班子成员可以给村打分" in await answer("jiangfeng", "打分 后道老村 c1 3")
    assert "单聊" in text_of(await say("aibot", "zhangwei", "打分 后道老村 c1 3", conversation="wrkSFfCgAAhoudaolao1"))
    assert await IndexScore.all().count() == 0
    # a criterion may be named in full
    assert "已记分：后道老村 c1 3 分" in await scored(say, "zhangwei", "打分 后道老村 三会一课 3")


async def test_a_card_is_confirmed_once_and_only_by_its_author(county, say):
    await say("app", "zhangwei", "打分 后道老村 c1 3")
    waiting = await IndexScore.get()
    assert "不是您的打分" in text_of(await click(say, "lihong", f"iscore:confirm:{waiting.id}"))
    assert "已记分" in text_of(await click(say, "zhangwei", f"iscore:confirm:{waiting.id}"))
    assert "已经确认过了" in text_of(await click(say, "zhangwei", f"iscore:confirm:{waiting.id}"))
    assert "已经确认过了" in text_of(await click(say, "zhangwei", f"iscore:cancel:{waiting.id}"))
    assert (await IndexScore.get()).points == 3


async def test_who_reads_a_village_standing(county, say, clock):
    await scored(say, "zhangwei", "打分 后道老村 c1 4")
    village = text_of(await say("app", "jiangfeng", "指数"))  # a cadre: their own village
    assert "后道老村 · 测试县2026年绩效指数" in village and "得分 6/16" in village  # c1 4 + c5 2 (no requests yet)
    assert "白山镇第 1/2 名，全县第 1/5 名" in village
    assert "· 党的建设：4/6" in village and "乡镇还有 2 条未打分：c2、c4" in village
    # 姜峰 书记: c1 4/4, his own score not given (0/4) → 50; 0.5 × 50 + 0.5 × 37.5 = 43.75
    assert "· 姜峰（村党组织书记）：1 星，星级分 43.75" in village and "· 姜峰（村委会主任）：1 星" in village
    assert "· 赵淑琴（村党组织副书记）：1 星，星级分 18.75" in village  # c2 not scored: 0.5 × 0 + 0.5 × 37.5
    assert village == text_of(await say("app", "zhangwei", "指数 后道老村"))  # its township sees the same
    assert "1. 后道老村：6/16\n2. 红旗农场：2/16" in text_of(await say("app", "zhangwei", "指数"))
    assert "只能查看本村、本乡镇" in text_of(await say("app", "chenjing", "指数 后道老村"))  # another township
    assert "只能查看本村、本乡镇" in text_of(await say("app", "qiguoqing", "指数 后道老村"))  # another village
    assert "您没有参加星级评定的村职务" in text_of(await say("app", "liuyang", "我的星级"))  # 第一书记: no post


async def test_without_an_index_the_commands_say_so(county, say_through, services):
    plain = Dispatcher(dataclasses.replace(services, index=None), routers())
    reply = text_of(await say_through(plain)("app", "zhangwei", "指数 后道老村"))
    assert "还没有设置今年的绩效指数" in reply


async def test_after_the_township_confirmed_no_score_changes(county, say, clock):
    await say("app", "zhangwei", "打分 红旗农场 c1 2")
    waiting = await IndexScore.get()
    await IndexConfirmation.create(
        year=2026, township_id=(await waiting.village).parent_id, by_name="张伟", at=clock.now()
    )
    assert "已经确认，不能再打分或更正" in text_of(await click(say, "zhangwei", f"iscore:confirm:{waiting.id}"))
    assert "已经确认，不能再打分或更正" in text_of(await say("app", "zhangwei", "打分 红旗农场 c1 3"))
    assert await IndexScore.filter(confirmed_at__isnull=False).count() == 0
    assert await OutboxMessage.filter(dedupe_key__startswith="index:").count() == 0
