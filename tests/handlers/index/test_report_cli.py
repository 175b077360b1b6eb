"""`gridwhistle index check`, `report index` and `index scores import` as a county admin runs them: the real
command in a process of its own, on the test's database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.clock import SHANGHAI
from config.paths import DEMO_INDEX_FILE
from models import IndexScore
from tests.handlers.index.conftest import SMALL_INDEX, village_requests
from tests.handlers.index.test_year import scored

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def index_config(tmp_path: Path, database_url: str, index_file: Path) -> Path:
    path = tmp_path / "with-index.toml"
    path.write_text(f'[database]\nurl = "{database_url}"\n\n[index]\nfile = "{index_file}"\n', encoding="utf-8")
    return path


async def test_index_check_prints_the_shape_or_every_mistake_with_its_line(gridwhistle, tmp_path):
    code, out, err = await gridwhistle("index", "check", str(DEMO_INDEX_FILE))
    assert code == 0, err
    assert "4 类 8 项 31 条, 满分 100" in out
    bad = tmp_path / "bad.toml"
    text = SMALL_INDEX.replace('post = "deputy_secretary"', 'post = "king"').replace("points = 2 }]", "points = 5 }]")
    bad.write_text(text.replace("thresholds = [60, 70, 80, 90]", "thresholds = [90, 80]"), encoding="utf-8")
    code, out, err = await gridwhistle("index", "check", str(bad))
    lines = text.splitlines()
    assert code == 2 and out == ""
    king = next(n for n, line in enumerate(lines, 1) if "king" in line)
    rule = next(n for n, line in enumerate(lines, 1) if "points = 5 }]" in line)
    assert f"bad.toml:{king}: post 'king' is not a code of config/village_posts.toml" in err
    assert f"bad.toml:{rule}: the rule gives 5: it should be at most points (4)" in err
    assert "bad.toml:7: thresholds should be four rising scores" in err
    assert err.count("bad.toml:") == 3


async def test_report_then_the_filled_in_sheet_imported(gridwhistle, county, say, clock, index_config, tmp_path):
    await village_requests(clock)
    await scored(say, "zhangwei", "打分 后道老村 c1 3 记录基本完整")
    xlsx = tmp_path / "index.xlsx"
    code, out, err = await gridwhistle(
        "report", "index", "--year", "2026", "--xlsx", str(xlsx), "--config", str(index_config)
    )
    assert code == 0, err
    assert "2026年绩效指数 — 村得分" in out and "2026年绩效指数 — 明细" in out
    book = load_workbook(xlsx)
    assert book.sheetnames == ["村得分", "星级", "明细"]
    villages = {row[1]: row for row in book["村得分"].iter_rows(min_row=2, values_only=True)}
    # c1 3 + c3 4 + c4's figure 2 + c5 1 = 10 (the hand calculation of test_year, before the township's other scores)
    assert villages["后道老村"] == ("白山镇", "后道老村", "houdaolao", 3, 7, 10, 1, 1, 2, "否")
    cadres = {(row[2], row[4]): row for row in book["星级"].iter_rows(min_row=2, values_only=True)}
    # 姜峰 书记: c1 3/4 and no score of his own yet (0/4) → 3/8 = 37.5; village 10/16 = 62.5; 50 → 1 star;
    # 30000 × 0.6; 本人评分 empty
    assert cadres[("姜峰", "村党组织书记")][5:] == (37.5, 62.5, 50, 1, 18000, None)
    evidence = book["明细"]
    rows = list(evidence.iter_rows(min_row=2, values_only=True))
    kept = next(r for r in rows if r[2] == "houdaolao" and r[3] == "c3")
    assert kept[5:11] == ("自动数据", "kept_in_village_share", 0.667, "2/3", 4, 4)
    c1 = next(r for r in rows if r[2] == "houdaolao" and r[3] == "c1")
    assert c1[5] == "乡镇打分" and c1[9] == 3 and c1[11] == "记录基本完整" and c1[12] == "张伟"
    # a row per star-rated cadre for the township's score of the person, one for 姜峰's two posts
    people = [r for r in rows if r[2] == "houdaolao" and r[5] == "本人评分"]
    assert sorted((r[4], r[10], r[15]) for r in people) == [
        ("姜峰（村党组织书记、村委会主任）", 4, "jiangfeng"),
        ("赵淑琴（村党组织副书记）", 4, "zhaoshuqin"),
    ]

    # the township fills in the sheet: 红旗农场 c1 2 (new), 后道老村 c1 3 → 4 (a correction), 赵淑琴 3 (new)
    for row in evidence.iter_rows(min_row=2):
        code_cell, village_cell, points = row[3], row[2], row[9]
        if (village_cell.value, code_cell.value) == ("hongqi", "c1"):
            points.value = 2
        if (village_cell.value, code_cell.value) == ("houdaolao", "c1"):
            points.value = 4
        if row[15].value == "zhaoshuqin":
            points.value = 3
    book.save(xlsx)
    code, out, err = await gridwhistle(
        "index", "scores", "import", str(xlsx), "--by", "lihong", "--config", str(index_config)
    )
    assert code == 2 and "1 rows change a score given before; add --correct" in err and "后道老村 c1 3 → 4" in err
    assert await IndexScore.all().count() == 1  # nothing written
    code, out, err = await gridwhistle(
        "index", "scores", "import", str(xlsx), "--by", "chenjing", "--correct", "--config", str(index_config)
    )
    assert code == 2 and "后道老村 is not in a township 陈静 is on the committee of" in err
    code, out, err = await gridwhistle(
        "index", "scores", "import", str(xlsx), "--by", "lihong", "--correct", "--config", str(index_config)
    )
    assert code == 0, err
    assert "imported: 2 new, 1 corrected, 0 unchanged" in out
    trail = await IndexScore.filter(village__code="houdaolao", criterion="c1").order_by("id")
    assert [(s.points, s.source, s.author_name) for s in trail] == [(3, "chat", "张伟"), (4, "sheet", "李红")]
    assert trail[1].corrects_id == trail[0].id
    (person,) = await IndexScore.filter(person__userid="zhaoshuqin")
    assert (person.points, person.criterion, person.person_name, person.source) == (3, "@person", "赵淑琴", "sheet")
    # imported again: nothing changes
    code, out, err = await gridwhistle(
        "index", "scores", "import", str(xlsx), "--by", "lihong", "--config", str(index_config)
    )
    assert code == 0 and "imported: 0 new, 0 corrected, 3 unchanged" in out


async def test_report_index_without_an_index_or_for_another_year(gridwhistle, db, config_file, index_config):
    code, out, err = await gridwhistle("report", "index", "--year", "2026", "--config", str(config_file))
    assert code == 2 and "no performance index is set" in err
    code, out, err = await gridwhistle("report", "index", "--year", "2025", "--config", str(index_config))
    assert code == 2 and "the index of 2026, not of 2025" in err


async def test_config_check_checks_the_index_named_in_the_settings(gridwhistle, index_config):
    code, out, err = await gridwhistle("config", "check", "--config", str(index_config))
    assert "(performance index: 2 类 2 项 5 条, 满分 16)" in out, out + err
