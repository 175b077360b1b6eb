"""实事 and 走访 end to end: the real service (create_app, dispatcher, demo county) on loopback, WeCom played by
the sandbox's callback client, the outbox sent by hand to the fake WeCom API, and assertions on what it received."""

from __future__ import annotations

from datetime import datetime

from bot.clock import SHANGHAI
from bot.keys import SERVICES
from handlers.tasks import tickers as tasks_reminders
from handlers.visits import tickers as visits_reminders
from models import PracticalTask, Request, Visit


async def test_a_cadre_registers_finishes_with_a_photo_and_gets_the_last_call(driven_service, clock):
    app, wecom = driven_service.app, driven_service.wecom
    await wecom.app_text("lidawei", "实事 登记 修前屯路灯 三盏坏了 李长顺")
    await wecom.app_text("lidawei", "实事 登记 清理垃圾", repeats=2)  # WeCom's retry does not register it twice
    await driven_service.settle()
    await wecom.app_text("lidawei", "实事 完成 1 路灯已修好")
    await driven_service.settle()
    await wecom.app_image("lidawei", b"\xff\xd8lamp")
    await driven_service.settle()
    answers = driven_service.texts_to("lidawei")
    assert answers[0].startswith("已登记实事 1：修前屯路灯") and answers[1].startswith("已登记实事 2：清理垃圾")
    assert "实事 1（修前屯路灯）已完成" in answers[2] and "照片已作为实事 1" in answers[3]
    assert await PracticalTask.filter(cadre__userid="lidawei").count() == 2
    assert "media_id" in (await PracticalTask.get(seq=1, cadre__userid="lidawei")).progress[-1]["photo"]

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    for _ in range(2):
        await tasks_reminders.tick(app[SERVICES])
    await driven_service.settle()
    last_calls = [t for t in driven_service.texts_to("lidawei") if t.startswith("实事最后提醒")]
    assert last_calls == ["实事最后提醒：2026年就剩一个月了，您已完成 1 件，至少要完成 2 件。请抓紧。"]
    assert len([t for t in driven_service.texts_to("wangjun") if t.startswith("实事最后提醒")]) == 1
    assert not [t for t in driven_service.texts_to("jiangdahai") if "实事" in t]  # villagers get no cadre reminders


async def test_a_diary_entry_becomes_a_request_and_an_overdue_visit_is_reminded(driven_service, clock):
    app, wecom = driven_service.app, driven_service.wecom
    await wecom.app_text("jiangfeng", "走访 赵德福 家里自来水管冻裂了，没水吃")
    await driven_service.settle()
    (entry,) = await Visit.all()
    assert driven_service.texts_to("jiangfeng")[0].startswith(f"已记入民情日记第 {entry.id} 条：前屯 赵德福")
    await wecom.app_text("jiangfeng", f"走访 转诉求 {entry.id}")
    await driven_service.settle()
    request = await Request.get(channel="visit")
    assert any(f"已转为诉求 #{request.number}" in t for t in driven_service.texts_to("jiangfeng"))

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))  # paired on 11-16; weeks of 11-16 and 11-23 missed
    for _ in range(2):
        await visits_reminders.tick(app[SERVICES])
    await driven_service.settle()
    reminders = [t for t in driven_service.texts_to("lidawei") if t.startswith("走访提醒")]
    assert reminders == [
        "走访提醒：包保户 李长顺（前屯，独居老人）11-23 至 11-29 应走访一次，还没有记录。走访后发「走访 李长顺 情况」。"
    ]
    told = [t for t in driven_service.texts_to("jiangfeng") if t.startswith("包保走访提醒")]
    assert any("李大伟包保的 李长顺" in t for t in told)
    assert not any("赵德福" in t for t in told)  # monthly (低保), visited this month
