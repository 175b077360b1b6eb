"""A year of the demo county on the small index (conftest.SMALL_INDEX, 16 points): automatic figures from the
requests and tickets, township scores given in chat (one corrected, one cancelled, some never given), and
the results checked against the hand calculation written out below."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from config.policy import load_policy
from models import IndexScore, OutboxMessage
from models.index_figures import year_span
from models.index_standing import standing
from models.resolution_shares import where_resolved
from tests.handlers.index.conftest import village_requests

pytestmark = pytest.mark.clock_start(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(row.payload.get("text", "") for row in rows)


async def click(say, who: str, key: str):
    return await say(
        "app", who, kind="card_click", extra={"event_key": key, "task_id": "t", "response_code": f"rc-{who}-{key}"}
    )


async def scored(say, who: str, text: str, action: str = "confirm") -> str:
    """Score in chat, then press the card's button; the card's and the click's texts."""
    sent = await say("app", who, text)
    waiting = await IndexScore.all().order_by("-id").first()
    assert waiting is not None and waiting.confirmed_at is None
    card = next(row.payload["card"] for row in sent if row.payload.get("card"))
    return str(card) + "\n" + text_of(sent) + "\n" + text_of(await click(say, who, f"iscore:{action}:{waiting.id}"))


async def test_a_year_by_hand(county, say, clock, index):
    await village_requests(clock)
    first = await scored(say, "zhangwei", "打分 后道老村 c1 3 记录基本完整")
    assert "已记分：后道老村 c1 3 分" in first
    clock.advance(days=30)
    correction = await scored(say, "lihong", "打分 后道老村 c1 4 补齐了会议记录")
    assert "请确认更正打分" in correction and "原 3 分（张伟" in correction
    assert "已更正：后道老村 c1 由 3 分改为 4 分" in correction
    await scored(say, "zhangwei", "打分 后道老村 c2 1")
    await scored(say, "zhangwei", "打分 后道老村 c4 1.5 回访满意")
    await scored(say, "zhangwei", "打分 红旗农场 c1 2")
    cancelled = await scored(say, "zhangwei", "打分 红旗农场 c2 2", action="cancel")
    assert "没有记入" in cancelled
    # the trail keeps all six rows, the first c1 included; the cancelled one never confirmed
    assert await IndexScore.all().count() == 6
    assert await IndexScore.filter(confirmed_at__isnull=True).count() == 1

    # the township's scores of persons (up to [stars] person_points = 4), by name or userid, with the same card
    jiang = await scored(say, "zhangwei", "打分 后道老村 姜峰 3 两委班子团结")
    assert "干部" in jiang and "姜峰（村党组织书记、村委会主任）" in jiang and "本人评分满分 4" in jiang
    assert "已记分：后道老村 姜峰（本人） 3 分" in jiang
    await scored(say, "zhangwei", "打分 后道老村 赵淑琴 2")
    clock.advance(days=1)
    fixed = await scored(say, "lihong", "打分 后道老村 zhaoshuqin 3.5 补报了入户走访")
    assert "原 2 分（张伟" in fixed and "已更正：后道老村 赵淑琴（本人） 由 2 分改为 3.5 分" in fixed
    assert "最多 4 分" in text_of(await say("app", "zhangwei", "打分 后道老村 赵淑琴 5"))
    nobody = text_of(await say("app", "zhangwei", "打分 后道老村 王五 1"))
    assert "后道老村也没有叫「王五」的参加星级评定的干部" in nobody
    assert "不在您所在的乡镇" in text_of(await say("app", "chenjing", "打分 后道老村 姜峰 1"))
    assert await IndexScore.filter(person_id__isnull=False).count() == 3  # the correction kept beside the first

    clock.set(datetime(2026, 12, 31, 20, 0, tzinfo=SHANGHAI))
    result = await standing(index, load_policy(), clock.now())
    by_code = {v.code: v for v in result.villages.values()}

    # 后道老村, 13 households. Requests of the year: 2001 resolved in the grid, 2002 resolved by the village,
    # 2003 whistled (rated 满意), 2004 still undecided, 2005 merged into 2001 (not counted).
    #   c1 (township, 4): 3, corrected to 4                                   → 4
    #   c2 (township, 2): 1                                                   → 1
    #   c3 kept share = (1 grid + 1 village) / 3 resolved = 0.667 ≥ 0.5       → 4
    #   c4 satisfaction = 1/1 = 1.0 ≥ 0.9 → 2, plus the township's 1.5       → 3.5
    #   c5 requests per 100 households = 100 × 4 / 13 = 30.77 ≤ 50           → 1
    #   total 13.5 of 16 = 84.375 → 84.38 of 100
    houdaolao = by_code["houdaolao"]
    figures = result.figures[houdaolao.village_id]
    assert figures.values["kept_in_village_share"] == pytest.approx(2 / 3)
    assert figures.basis["kept_in_village_share"] == "2/3"
    # the same share as where 统计 reads it (models/resolution_shares.py)
    shared = {r.area_id: r for r in await where_resolved(*year_span(2026, clock.now()), clock.now())}
    row = shared[houdaolao.village_id]
    assert (row.grid, row.village, row.departments) == (1, 1, 1)
    assert figures.values["kept_in_village_share"] == row.grid_share + row.village_share  # type: ignore[operator]
    assert figures.values["satisfaction_rate"] == 1.0
    assert figures.values["requests_per_100_households"] == 30.77
    assert {c: r.points for c, r in houdaolao.results.items()} == {"c1": 4, "c2": 1, "c3": 4, "c4": 3.5, "c5": 1}
    assert houdaolao.total == 13.5 and houdaolao.percent(index) == 84.38
    assert houdaolao.category("party") == 5 and houdaolao.category("governance") == 8.5
    assert houdaolao.missing == []

    # 红旗农场, 6 households, no requests: c3 and c4's figure have nothing to judge (0), c5 = 0 per 100 → 2;
    #   c1 = 2; c2 and c4's township part never given (missing, 0). Total 4 → 25 of 100.
    hongqi = by_code["hongqi"]
    assert hongqi.total == 4 and [c.code for c in hongqi.missing] == ["c2", "c4"]
    # 文化村, 前进村, 东升社区: no requests (c5 → 2), nothing scored: 2 each, a three-way tie.
    assert [by_code[c].total for c in ("wenhua", "qianjin", "dongsheng")] == [2, 2, 2]
    # Ranks: 后道老村 1, 红旗农场 2, the three tied share 3 (competition ranking); in 龙兴镇 both share 1.
    assert [by_code[c].rank_county for c in ("houdaolao", "hongqi", "wenhua", "qianjin", "dongsheng")] == [
        1,
        2,
        3,
        3,
        3,
    ]
    assert (by_code["wenhua"].rank_township, by_code["qianjin"].rank_township) == (1, 1)

    # Stars: star score = 0.5 × post score + 0.5 × village score; thresholds 60/70/80/90. The post score is
    # 100 × (the post's criteria earned + the person's score) ÷ (their points + person_points 4); the person
    # scores never touch the village totals above.
    #   姜峰 书记: c1 4/4 + own 3/4 → 7/8 = 87.5; 0.5 × 87.5 + 0.5 × 84.38 = 85.94 → 4 stars; 30000 × 1.1
    #   姜峰 村委会主任: no criterion tied, own 3/4 → 75; 37.5 + 42.19 = 79.69 → 3 stars; 20000 × 1.0
    #   赵淑琴 副书记: c2 1/2 + own 3.5/4 (2, corrected) → 4.5/6 = 75; 79.69 → 3 stars; 20000 × 1.0
    #   齐国庆 书记 (红旗): c1 2/4, own not given (0) → 2/8 = 25; village 25; 25 → 1 star; 30000 × 0.6 = 18000
    #   鲁秀萍 民兵连长 (红旗): own not given → 0/4 = 0; 0.5 × 25 = 12.5 → 1 star; 20000 × 0.6 = 12000
    #   李国强 书记 (文化村): c1 missing → 0/8 = 0; village 2/16 = 12.5; 6.25 → 1 star; 18000
    cadres = {(c.userid, c.post): c for c in result.cadres}
    expected = {
        ("jiangfeng", "secretary"): (87.5, 84.38, 85.94, 4, 33000),
        ("jiangfeng", "director"): (75, 84.38, 79.69, 3, 20000),
        ("zhaoshuqin", "deputy_secretary"): (75, 84.38, 79.69, 3, 20000),
        ("qiguoqing", "secretary"): (25, 25, 25, 1, 18000),
        ("luxiuping", "militia_captain"): (0, 25, 12.5, 1, 12000),
        ("liguoqiang", "secretary"): (0, 12.5, 6.25, 1, 18000),
    }
    for key, (post, village, score, stars, subsidy) in expected.items():
        c = cadres[key]
        assert (c.post_score, c.village_score, c.score, c.stars, c.subsidy) == (post, village, score, stars, subsidy), (
            key
        )

    assert cadres[("zhaoshuqin", "deputy_secretary")].person_points == 3.5
    assert cadres[("luxiuping", "militia_captain")].person is None

    # 我的星级 tells 赵淑琴 her own score and what would raise hers: 80 − 79.69 = 0.31 more for 4 stars, c2 short
    mine = text_of(await say("app", "zhaoshuqin", "我的星级"))
    assert "副书记：★★★☆☆（3 星），星级分 79.69" in mine and "补贴基数 20000 元" in mine
    assert "· 乡镇对本人评分：3.5/4" in mine
    assert "再得 0.31 分可到 4 星" in mine and "· c2 主题党日：1/2" in mine
    assert "乡镇对本人评分：还没有打（满分 4）" in text_of(await say("app", "luxiuping", "我的星级"))
