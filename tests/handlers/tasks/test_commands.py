"""实事 in chat through the real dispatcher and the demo county: register, list, progress, finish, cancel, claim."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from models import Household, OutboxMessage, Person, PracticalTask, Request

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))  # the county is loaded on this day


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(row.payload["text"] for row in rows)


async def test_register_list_progress_finish(county, say):
    reply = text_of(await say("app", "lidawei", "实事 登记 修前屯路灯 三盏坏了 李长顺"))
    assert "已登记实事 1：修前屯路灯" in reply and "要求 2–3 件" in reply
    task = await PracticalTask.get(seq=1).prefetch_related("household", "cadre")
    assert task.household.head == "李长顺" and task.description == "三盏坏了" and task.year == 2026
    await say("app", "lidawei", "实事 登记 清理2网格垃圾 2网格")
    task2 = await PracticalTask.get(seq=2).prefetch_related("area")
    assert task2.area.code == "houdaolao-2" and task2.household_id is None
    assert "已记下实事 1" in text_of(await say("app", "lidawei", "实事 进展 1 已联系供电所"))
    reply = text_of(await say("app", "lidawei", "实事 完成 1 路灯已修好"))
    assert "实事 1（修前屯路灯）已完成" in reply and "今年已完成 1 件" in reply
    listing = text_of(await say("app", "lidawei", "实事 列表"))
    assert "2026年我的实事（要求 2–3 件）：已登记 2 件，已完成 1 件" in listing
    assert "1. 修前屯路灯（已完成）" in listing and "2. 清理2网格垃圾（已登记）" in listing


async def test_photo_right_after_done_attaches_to_that_task(county, say, clock):
    await say("app", "wangjun", "实事 登记 帮韩德山修房顶")
    await say("app", "wangjun", "实事 完成 1 已修好")
    clock.advance(minutes=2)
    reply = text_of(
        await say("app", "wangjun", kind="image", extra={"media_id": "MEDIA1", "pic_url": "http://p/1.jpg"})
    )
    assert "照片已作为实事 1" in reply
    task = await PracticalTask.get(seq=1)
    assert task.progress[-1]["photo"] == {"media_id": "MEDIA1", "pic_url": "http://p/1.jpg"}
    clock.advance(hours=2)  # too late: not this task's photo any more
    await say("app", "wangjun", kind="image", extra={"media_id": "MEDIA2"})
    assert len((await PracticalTask.get(seq=1)).progress) == 1


async def test_cancel_and_errors_answer_with_usage(county, say):
    await say("app", "lidawei", "实事 登记 修桥")
    assert "实事 1（修桥）已撤销" in text_of(await say("app", "lidawei", "实事 撤销 1 乡镇统一办理"))
    assert "已经撤销" in text_of(await say("app", "lidawei", "实事 完成 1 好了"))
    assert "请这样写：实事 完成 编号" in text_of(await say("app", "lidawei", "实事 完成 一"))
    assert "请这样写：实事 撤销 编号 原因" in text_of(await say("app", "lidawei", "实事 撤销 1"))
    assert "没有找到您今年的第 9 件实事" in text_of(await say("app", "lidawei", "实事 进展 9 在办"))
    assert "实事指令：" in text_of(await say("app", "lidawei", "实事 干啥"))
    assert "请这样登记" in text_of(await say("app", "lidawei", "实事 登记"))
    assert "还没有干部身份" in text_of(await say("app", "wangshufen", "实事 登记 修路"))
    assert "单聊" in text_of(await say("aibot", "lidawei", "实事 列表", conversation="wrkSFfCgAAhoudaolao1"))
    # the cancelled one is not counted, the next one gets number 2
    assert "已登记实事 2：修渠" in text_of(await say("app", "lidawei", "实事 登记 修渠"))
    assert "已登记 1 件" in text_of(await say("app", "lidawei", "实事 列表"))


async def test_claim_a_villagers_request(county, say, clock):
    household = await Household.get(code="houdaolao-1-008")
    villager = await Person.get(userid="wangshufen")
    request = await Request.create(
        number=1042,
        text="前屯8号门口的水管冻裂了",
        channel="app",
        sender=villager,
        household=household,
        area_id=household.grid_id,
        primary="village",
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    reply = text_of(await say("app", "lidawei", "实事 认领 #1042"))
    assert "已认领诉求 #1042，登记为实事 1：前屯8号门口的水管冻裂了" in reply
    task = await PracticalTask.get(seq=1)
    assert task.request_id == request.id and task.household_id == household.id
    assert "已由李大伟认领" in text_of(await say("app", "jiangfeng", "实事 认领 #1042"))
    assert "不在您所在的村" in text_of(await say("app", "qiguoqing", "实事 认领 #1042"))
    assert "没有找到诉求 #999" in text_of(await say("app", "lidawei", "实事 认领 #999"))


async def test_stats_for_village_secretary_and_township(county, say):
    await say("app", "lidawei", "实事 登记 修路灯")
    await say("app", "lidawei", "实事 完成 1 修好了")
    await say("app", "lidawei", "实事 登记 修渠")
    await say("app", "lidawei", "实事 完成 2 修好了")
    await say("app", "wangjun", "实事 登记 送煤")
    village = text_of(await say("app", "jiangfeng", "实事 统计"))
    assert "后道老村 2026年实事（每人要求 2–3 件）：" in village
    assert "李大伟：登记 2，完成 2\n" in village + "\n" and "王军：登记 1，完成 0（未达标）" in village
    assert "刘洋：登记 0，完成 0（未达标）" in village and "齐国庆" not in village
    township = text_of(await say("app", "zhangwei", "实事 统计"))
    assert "白山镇 2026年实事" in township
    assert "后道老村：干部 9 人，登记 3，完成 2，未达标 8 人" in township and "红旗农场：干部 7 人" in township
    assert "文化村" not in township
    assert "没有权限" in text_of(await say("app", "wangshufen", "实事 统计"))
