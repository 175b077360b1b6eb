"""`gridwhistle ticket show` and `gridwhistle report tickets` as a county admin runs them (a subprocess
with --config on the test's database), after a ticket went through the dispatcher."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from config.settings import DEMO_ORG_FILE
from models import AccessRecord, Request, Ticket
from models.org import load_org

URGENT = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: whistled at once


@pytest.fixture
async def handled(db, clock, say) -> Ticket:
    """An urgent bridge: transport late to sign (40 min), water added and quick; both finish; rated 满意."""
    await load_org([DEMO_ORG_FILE], clock.now())
    await say("app", "jiangdahai", URGENT)
    request = await Request.get()
    await say("app", "zhangwei", f"吹哨 #{request.number} 水务局 桥下河道也堵了")
    ticket = await Ticket.get()
    clock.advance(minutes=10)
    await say("app", "hanxue", f"报到 #{ticket.number}")
    clock.advance(minutes=30)
    await say("app", "liutao", f"报到 #{ticket.number}")
    await say("app", "hanxue", f"退单 #{ticket.number}")  # no reason: refused, nothing changes
    clock.advance(hours=2)
    await say("app", "hanxue", f"办结 #{ticket.number} 河道已清")
    clock.advance(hours=2)
    await say("app", "liutao", f"办结 #{ticket.number} 便桥已通")
    await say("app", "jiangdahai", "满意")
    return ticket


async def test_ticket_show_prints_the_whole_trail(gridwhistle, handled, config_file):
    code, out, err = await gridwhistle("ticket", "show", str(handled.number), "--config", str(config_file))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("诉求 #") and "（已办完，紧急）" in lines[0]
    assert any(
        line.startswith(f"哨单 #{handled.number}") and "白山镇" in line and "状态：已办结" in line for line in lines
    )
    assert "  交通运输局  主办  已办结" in lines and "  水务局  协办  已办结" in lines
    assert "事件（12），北京时间：" in lines
    # the clock started at 2026-11-16 09:00 Beijing time: the trail says so, not UTC's 01:00
    events = [line for line in lines if line.startswith("  2026-")]
    assert events[0].startswith("  2026-11-16 09:00:")
    kinds = [line.split()[2] for line in events]
    assert kinds == ["登记", "吹哨", "通知部门", "通知部门", "增派", "签收", "签收", "办结", "办结"] + [
        "全部办结"
    ] * 2 + ["评价"]
    assert any("刘涛(liutao)" in line and "便桥已通" in line for line in lines)
    assert any(
        "吹哨 #" in line and "部门 交通运输局，诉求 #" in line and "方式 紧急自动吹哨" in line for line in events
    )
    assert any(line.split()[2] == "评价" and "评价 满意" in line for line in events)
    for english in ("closed", "normal", "urgent", "primary", "assisting", "done", "from_request", "notified", "="):
        assert english not in out, english
    code, out, err = await gridwhistle("ticket", "show", "#999999", "--config", str(config_file))
    assert code == 1 and "no ticket or request #999999" in err


async def test_each_ticket_show_is_an_access_record_of_the_household(gridwhistle, handled, config_file):
    code, out, err = await gridwhistle(
        "ticket", "show", str(handled.number), "--by", "county-it", "--config", str(config_file)
    )
    assert code == 0, err
    (record,) = await AccessRecord.all()
    request = await Request.get().prefetch_related("household")
    assert (record.actor, record.action, record.via) == ("county-it", "show", "command")
    assert record.subject == f"household:{request.household.code}" and str(handled.number) in record.detail
    await gridwhistle("ticket", "show", "#999999", "--config", str(config_file))  # nothing read: nothing recorded
    assert await AccessRecord.all().count() == 1


async def test_ticket_show_json_is_for_machines(gridwhistle, handled, config_file):
    code, out, err = await gridwhistle("ticket", "show", str(handled.number), "--json", "--config", str(config_file))
    assert code == 0, err
    trail = json.loads(out)
    assert trail["request"]["status"] == "closed" and trail["request"]["urgency"] == "urgent"
    (ticket,) = trail["tickets"]
    assert ticket["number"] == handled.number and ticket["status"] == "resolved"
    assert [(p["department"], p["role"], p["state"]) for p in ticket["parts"]] == [
        ("transport", "primary", "done"),
        ("water", "assisting", "done"),
    ]
    assert [e["kind"] for e in trail["events"]][:3] == ["recorded", "whistled", "notified"]
    assert trail["events"][0]["at"].startswith("2026-11-16T09:00:") and trail["events"][0]["at"].endswith("+08:00")
    assert ticket["respond_due"].endswith("+08:00")


async def test_report_tickets_prints_the_rates_and_writes_a_spreadsheet(gridwhistle, handled, config_file, tmp_path):
    xlsx = tmp_path / "out" / "tickets-2026-11.xlsx"
    code, out, err = await gridwhistle(
        "report", "tickets", "--month", "2026-11", "--xlsx", str(xlsx), "--config", str(config_file)
    )
    assert code == 0, err
    rates_table = out.split("诉求去向")[0]  # (the second table: where matters were resolved)
    rows = {line.split()[1]: line.split() for line in rates_table.splitlines() if line.startswith(("乡镇", "部门"))}
    # transport signed after 40 min (urgent: 30) → late; water after 10 → on time; both finished in time
    # columns: tickets, 件次, 进行中, 退单, 签收及时, 办结, 按时办结, 满意, hours to 签收, to 办结
    assert rows["白山镇"][2:] == ["1", "2", "0", "0", "50.0%", "100.0%", "100.0%", "100.0%", "0.4", "3.7"]
    assert rows["交通运输局"][2:] == ["1", "1", "0", "0", "0.0%", "100.0%", "100.0%", "100.0%", "0.7", "4.7"]
    assert rows["水务局"][2:] == ["1", "1", "0", "0", "100.0%", "100.0%", "100.0%", "100.0%", "0.2", "2.7"]
    assert "件次：一个部门接一张哨单算1件次" in out
    sheet = load_workbook(xlsx).active
    assert sheet.title == "2026-11" and sheet["A1"].value == "类别"
    values = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["白山镇"][3] == 2 and values["白山镇"][6] == 0.5 and values["交通运输局"][10] == 0.7
    code, out, err = await gridwhistle("report", "tickets", "--month", "2026-10", "--config", str(config_file))
    assert code == 0 and "这个月没有哨单" in out
    code, out, err = await gridwhistle("report", "tickets", "--month", "11/2026", "--config", str(config_file))
    assert code == 2 and "not a month like 2026-11" in err
