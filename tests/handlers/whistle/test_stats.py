"""统计 is fair, end to end (the real service, WeCom played by the sandbox): a part is judged only after its
deadline, parts taken away by 改派 are left out, 件次 is explained beside the ticket count; and the figures are
those `gridwhistle report tickets` computes (models/ticket_metrics.py).

Demo county: 白山镇 committee zhangwei; liaisons transport liutao, water hanxue, emergency (应急管理局) see
config/demo/county.toml.
"""

from __future__ import annotations

from bot.sandbox.harness import DrivenService
from models import Department, Person, Request, Ticket
from models.ticket_metrics import rates

FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once (签收 within 30 min)


async def stats(sandbox: DrivenService) -> str:
    before = len(sandbox.texts_to("zhangwei"))
    await sandbox.wecom.app_text("zhangwei", "统计")
    await sandbox.settle()
    return "".join(sandbox.texts_to("zhangwei")[before:])


def line_of(text: str, name: str) -> str:
    return next((line for line in text.splitlines() if line.startswith(f"{name}：")), "")


async def liaison_of(code: str) -> str:
    person = await Person.filter(roles__role="liaison", roles__department__code=code).order_by("id").first()
    assert person is not None
    return person.userid


async def test_work_not_yet_due_and_parts_taken_away_are_not_held_against_a_department(driven_service):
    sandbox = driven_service
    await sandbox.wecom.app_text("jiangdahai", FLOOD)
    await sandbox.settle()
    request = await Request.get()
    ticket = await Ticket.get()
    for command in (
        f"改派 #{ticket.number} 水务局 是河道的事",  # transport taken away, water primary
        f"吹哨 #{request.number} 应急局",  # emergency assists
        f"改派 #{ticket.number} 交通局 还是桥的事",  # water taken away seconds later, transport back
    ):
        await sandbox.wecom.app_text("zhangwei", command)
        await sandbox.later(seconds=20)
    await sandbox.later(minutes=5)
    text = await stats(sandbox)
    assert "水务局：" not in text  # taken away by 改派: not its work
    emergency = line_of(text, "应急管理局")
    assert emergency.startswith("应急管理局：1张哨单 1件次（进行中1），签收及时暂无，办结暂无"), emergency
    assert "0%" not in text
    assert line_of(text, "白山镇").startswith("白山镇：1张哨单 2件次（进行中2）")
    assert "一个部门接一张哨单算1件次" in text and "不计入比率" in text
    # transport signs in time; emergency lets its 30 minutes pass
    await sandbox.wecom.app_text(await liaison_of("transport"), f"报到 #{ticket.number}")
    await sandbox.later(minutes=40)
    text = await stats(sandbox)
    assert "签收及时0%" in line_of(text, "应急管理局") and "签收及时100%" in line_of(text, "交通运输局")
    assert "签收及时50%" in line_of(text, "白山镇") and "平均签收用时0.1小时" in line_of(text, "交通运输局")
    assert "平均签收用时暂无" in line_of(text, "应急管理局")  # no 「签收-h」
    # both finish in time: resolution is judged now
    await sandbox.wecom.app_text(await liaison_of("emergency"), f"办结 #{ticket.number} 已转移猪群")
    await sandbox.wecom.app_text(await liaison_of("transport"), f"办结 #{ticket.number} 便桥已通")
    await sandbox.later(minutes=1)
    text = await stats(sandbox)
    assert "（进行中0），签收及时50%，办结100%，按时办结100%" in line_of(text, "白山镇")
    # the same figures the report computes, from the same module
    clock_now = sandbox.clock.now()
    start = clock_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    by_department, by_township = await rates(start, clock_now.replace(month=clock_now.month + 1), clock_now)
    (township,) = by_township
    assert (township.ticket_count, township.episodes, township.response_rate, township.resolution_rate) == (
        1,
        2,
        0.5,
        1.0,
    )
    water = await Department.get(code="water")
    assert water.name not in {r.name for r in by_department}
