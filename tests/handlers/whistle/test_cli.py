"""`gridwhistle ticket show` and `gridwhistle report tickets` as a county admin runs them (a subprocess
with --config on the test's database), after a ticket went through the dispatcher."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from config.settings import DEMO_ORG_FILE
from models import Request, Ticket
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
    assert lines[0].startswith("诉求 #") and "closed" in lines[0]
    assert any(line.startswith(f"哨单 #{handled.number}") and "白山镇" in line for line in lines)
    kinds = [line.split()[2] for line in lines if line.startswith("  2026-")]
    assert kinds == [
        "recorded",
        "whistled",
        "notified",
        "notified",
        "added",
        "on_duty",
        "on_duty",
        "done",
        "done",
        "resolved",
        "resolved",
        "rated",
    ]
    assert any("刘涛(liutao)" in line and "便桥已通" in line for line in lines)
    code, out, err = await gridwhistle("ticket", "show", "#999999", "--config", str(config_file))
    assert code == 1 and "no ticket or request #999999" in err


async def test_report_tickets_prints_the_rates_and_writes_a_spreadsheet(gridwhistle, handled, config_file, tmp_path):
    xlsx = tmp_path / "out" / "tickets-2026-11.xlsx"
    code, out, err = await gridwhistle(
        "report", "tickets", "--month", "2026-11", "--xlsx", str(xlsx), "--config", str(config_file)
    )
    assert code == 0, err
    rows = {line.split()[1]: line.split() for line in out.splitlines() if line.startswith(("乡镇", "部门"))}
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
