"""考评 in chat: each side grades only its own members; a person who is both names the side; a later grade
replaces the earlier; bad words get the usage. Through the real dispatcher and the demo county."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from models import MemberGrade, OutboxMessage, Role

pytestmark = pytest.mark.clock_start(datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI))


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(row.payload["text"] for row in rows)


async def test_each_side_grades_its_own_members(county, say):
    assert text_of(await say("app", "gaojianguo", "考评 周电明 优秀")) == "已记下周电明 2026年的单位考评：优秀。"
    assert text_of(await say("app", "liuyang", "考评 周电明 称职")) == "已记下周电明 2026年的村考评：称职。"
    assert text_of(await say("app", "liuyang", "考评 周电明 基本称职")) == "已记下周电明 2026年的村考评：基本称职。"
    grades = sorted(await MemberGrade.filter(member__person__userid="zhoudianming").values_list("side", "grade"))
    assert grades == [("unit", "优秀"), ("village", "基本称职")]  # the later village grade replaced the first
    refused = "冯磊不是您能考评的在职党员（单位书记考评本单位的，村书记考评到本村报到的）。"
    assert text_of(await say("app", "gaojianguo", "考评 冯磊 优秀")) == refused  # 白山镇's member, 红旗农场's grid
    assert text_of(await say("app", "liuyang", "考评 冯磊 优秀")) == refused
    assert text_of(await say("app", "qiguoqing", "考评 冯磊 优秀 2025")) == "已记下冯磊 2025年的村考评：优秀。"
    assert "等次是 优秀、称职、基本称职、不称职" in text_of(await say("app", "gaojianguo", "考评 周电明 很好"))
    assert "单聊" in text_of(await say("aibot", "gaojianguo", "考评 周电明 优秀", conversation="wrkSFfCgAAhoudaolao3"))


async def test_someone_on_both_sides_names_the_side(county, say):
    # 张伟 is 白山镇's secretary for 郑晓燕; made 后道老村's secretary too, he must say which grade he gives
    zhangwei = await Role.filter(person__userid="zhangwei").first()
    village = await Role.filter(person__userid="jiangfeng", role="village_secretary").first()
    await Role.create(
        person_id=zhangwei.person_id, role="village_secretary", area_id=village.area_id, scope="houdaolao"
    )
    assert "请写明：考评 郑晓燕 等次 单位（或 村）" in text_of(await say("app", "zhangwei", "考评 郑晓燕 优秀"))
    assert text_of(await say("app", "zhangwei", "考评 郑晓燕 优秀 村")) == "已记下郑晓燕 2026年的村考评：优秀。"
    assert await MemberGrade.filter(side="village").count() == 1 and await MemberGrade.filter(side="unit").count() == 0
