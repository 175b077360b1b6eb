"""`gridwhistle report tasks` as a county admin runs it: a subprocess with --config on the test's database."""

from __future__ import annotations

from datetime import datetime, timedelta

from openpyxl import load_workbook

from bot.clock import SHANGHAI
from config.settings import DEMO_ORG_FILE
from models.org import load_org


async def test_report_tasks_prints_tables_and_writes_xlsx(gridwhistle, db, clock, say, config_file, tmp_path):
    clock.set(datetime(2026, 1, 1, 8, tzinfo=SHANGHAI))
    await load_org([DEMO_ORG_FILE], clock.now())
    for text in ("实事 登记 修路灯", "实事 登记 清垃圾", "实事 完成 1 好了", "实事 完成 2 好了"):
        await say("app", "lidawei", text)
    await say("app", "wangjun", "实事 登记 送煤")
    for week in range(4):  # 李长顺 (weekly in winter) visited the weeks of 01-05 … 01-26
        clock.set(datetime(2026, 1, 7, 10, tzinfo=SHANGHAI) + timedelta(weeks=week))
        await say("app", "lidawei", "走访 李长顺 挺好")
    xlsx = tmp_path / "tasks.xlsx"
    code, out, err = await gridwhistle(
        "report", "tasks", "--year", "2026", "--until", "2026-02-02", "--xlsx", str(xlsx), "--config", str(config_file)
    )
    assert code == 0, err
    assert "2026年 实事-干部" in out and "2026年 实事-村" in out and "2026年 包保走访-村" in out
    lines = out.splitlines()
    assert any("李大伟" in line and line.split()[-3:] == ["2", "2", "否"] for line in lines)
    assert any("王军" in line and line.split()[-3:] == ["1", "0", "是"] for line in lines)
    book = load_workbook(xlsx)
    assert book.sheetnames == ["实事-干部", "实事-村", "包保走访-村"]
    villages = {row[1]: row for row in book["实事-村"].iter_rows(min_row=2, values_only=True)}
    assert villages["后道老村"] == ("白山镇", "后道老村", 9, 3, 2, 8)  # 3 of the 9 serving Party members
    visits = {row[1]: row for row in book["包保走访-村"].iter_rows(min_row=2, values_only=True)}
    # 后道老村: 7 pairs; periods ended by 02-02: 李长顺 and 刘玉兰 (独居老人) 4 weeks each, 韩德山 (五保) the fortnight of 01-12,
    # 马桂香 (独居老人) 4 weeks, the monthly ones January: 赵德福, 周凤琴, 高玉珍 → 4+4+4+1+1+1+1 = 16 due, 4 visited
    assert visits["后道老村"] == ("白山镇", "后道老村", 7, 16, 4, 0.25)
