"""The record: `gridwhistle power show N` prints a flow's trail, `权力 查看 N` shows the same in chat, and
`gridwhistle report powers --year Y [--xlsx F]` counts per village what the list answered and how flows ran."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from bot.clock import ManualClock
from handlers.core.context import Services
from handlers.powers import tickers
from models import OutboxMessage


async def run_a_flow_and_two_questions(say, services: Services, clock: ManualClock) -> None:  # noqa: ANN001
    await say("app", "jiangdahai", "低保找谁办")
    await say("app", "xuchunhua", "残疾证咋办理")
    await say("app", "jiangfeng", "权力 启动 大额资金 修缮村部 8万元")
    clock.advance(days=6)
    await tickers.tick(services)  # step 1 overdue
    await say("app", "jiangfeng", "权力 完成 1 1 支部会提议修缮村部")


async def test_the_trail_in_chat_and_from_the_command_line(
    county, say, services: Services, clock: ManualClock, gridwhistle, config_file: Path
):
    await run_a_flow_and_two_questions(say, services, clock)
    rows: list[OutboxMessage] = await say("app", "zhangwei", "权力 查看 1")  # the township reads any of its villages'
    in_chat = rows[-1].payload["text"].splitlines()
    code, out, err = await gridwhistle("power", "show", "1", "--config", str(config_file))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines == in_chat
    assert lines[0] == "流程 1  后道老村  大额资金使用：修缮村部 8万元  状态：进行中  启动：姜峰 11-16 09:00"
    assert lines[1] == (
        "  1. 党支部提议（村党组织，村党组织书记负责）时限 11-21 09:00  已完成 11-22 09:00 姜峰  结果：支部会提议修缮村部"
    )
    assert "  4. 决议公开（村委会，村委会主任负责）时限 12-06 09:00  须公开  未完成" in lines
    assert "  11-22 09:00  失责预警  第1步    已超过时限未完成，通知：姜峰、张伟、李红、王刚" in lines
    code, _, err = await gridwhistle("power", "show", "7", "--config", str(config_file))
    assert (code, err.strip()) == (1, "gridwhistle power show: no flow 7")
    refused = await say("app", "liguoqiang", "权力 查看 1")  # 文化村's secretary
    assert refused[-1].payload["text"] == "流程 1 不是您村里的，看不了。"


async def test_the_yearly_report_per_village(
    county, say, services: Services, clock: ManualClock, gridwhistle, config_file: Path, tmp_path: Path
):
    await run_a_flow_and_two_questions(say, services, clock)
    book = tmp_path / "powers.xlsx"
    code, out, err = await gridwhistle(
        "report", "powers", "--year", "2026", "--xlsx", str(book), "--config", str(config_file)
    )
    assert (code, err) == (0, "")
    sheet = load_workbook(book)["各村"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["村", "按清单答复", "启动流程", "完成流程", "超时流程", "失责预警"],
        ["后道老村", 1, 1, 0, 1, 1],
        ["文化村", 1, 0, 0, 0, 0],
    ]
    items = load_workbook(book)["按事项答复"]
    assert [c.value for c in list(items.iter_rows())[1]] == ["后道老村", "subsistence_review", 1]
    code, out, _ = await gridwhistle("report", "powers", "--year", "2025", "--config", str(config_file))
    assert code == 0 and out.count("（无）") == 3
