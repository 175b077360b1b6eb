"""Flows of the small-powers list run in chat with the clock moved by hand: one on time (its public steps posted
to the village's groups), one with an overdue step, one with a skipped step — each 失责预警 raised once."""

from __future__ import annotations

from bot.clock import ManualClock
from handlers.core.context import Services
from handlers.powers import tickers
from models import Chat, OutboxMessage, PowerEvent, PowerFlow, PowerStep, PowerWarning

BAISHAN = ["lihong", "wanggang", "zhangwei"]  # 白山镇's township committee


def text_of(rows: list[OutboxMessage]) -> str:
    """The answer to the speaker: the rows without a key (notices to others carry `powers:` keys, step cards `card:`)."""
    return "\n".join(
        r.payload.get("text", "") for r in rows if not (r.dedupe_key or "").startswith(("powers:", "card:"))
    )


async def warned(prefix: str = "powers:warn:") -> list[tuple[str, str]]:
    """(userid, text) of every warning queued, in order."""
    rows = await OutboxMessage.filter(dedupe_key__startswith=prefix).order_by("id")
    return [(r.target, r.payload["text"]) for r in rows]


async def test_a_flow_on_time_completes_and_its_public_steps_are_posted(county, say, services, clock: ManualClock):
    reply = text_of(await say("app", "jiangfeng", "权力 启动 大额资金 修缮村部 8万元"))
    assert reply == (
        "已启动流程 1：大额资金使用（修缮村部 8万元），共 6 步。第1步「党支部提议」由村党组织书记负责，11-21 09:00 前完成。"
    )
    for position in range(1, 7):  # 姜峰 is 书记 and 主任; nobody holds 报账员 or 监委会主任, so the secretary records
        clock.advance(days=1)
        done = text_of(await say("app", "jiangfeng", f"权力 完成 1 {position} 第{position}步的结果"))
        assert done.startswith(f"已记录：流程 1 第{position}步") and "预警" not in done, done
        assert await tickers.tick(services) == 0
    assert (await PowerFlow.get(id=1)).status == "completed"
    assert not await PowerWarning.exists() and await warned() == []
    group = await Chat.get(chatid="wrkSFfCgAAhoudaolao3")  # the one group of 后道老村 with a webhook
    posted = await OutboxMessage.filter(kind="webhook").order_by("id")
    assert [(r.target, r.dedupe_key) for r in posted] == [
        (group.webhook_key, f"powers:public:1:4:{group.id}"),
        (group.webhook_key, f"powers:public:1:6:{group.id}"),
    ]
    assert (
        posted[0].payload["text"].startswith("【村务公开】后道老村 大额资金使用：修缮村部 8万元\n决议公开：第4步的结果")
    )
    kinds = await PowerEvent.filter(flow_id=1).order_by("id").values_list("kind", flat=True)
    assert kinds[0] == "started" and kinds[-1] == "completed" and kinds.count("published") == 2
    assert text_of(await say("app", "jiangfeng", "权力 完成 1 6")) == "流程 1 已经全部完成了。"


async def test_an_overdue_step_warns_its_post_the_secretary_and_the_township_once(
    county, say, services: Services, clock: ManualClock
):
    await say("app", "jiangfeng", "权力 启动 四议两公开 村部旁空地建文化广场")
    clock.advance(days=6, hours=23)
    assert await tickers.tick(services) == 0  # step 1 is due in 7 days
    clock.advance(hours=2)
    assert [await tickers.tick(services) for _ in range(3)] == [1, 0, 0]
    to = sorted(userid for userid, _ in await warned())
    assert to == sorted(["jiangfeng", *BAISHAN])  # the post's holder is the secretary too: told once
    text = (await warned())[0][1]
    assert text.startswith("【失责预警】重大事项未按“四议两公开”程序决策\n后道老村 流程 1")
    assert "第1步「党支部提议」（村党组织书记负责，时限 11-23 09:00）：已超过时限未完成" in text
    # recorded late: no second overdue warning; the next step's deadline runs from when it was done
    reply = text_of(await say("app", "jiangfeng", "权力 完成 1 1 支部会提议建广场"))
    assert reply.startswith("已记录：流程 1 第1步「党支部提议」完成。") and "预警" not in reply
    second = await PowerStep.get(flow_id=1, position=2)
    assert (second.due_at - (await PowerStep.get(flow_id=1, position=1)).done_at).days == 5
    assert len(await warned()) == 4 and await PowerWarning.all().count() == 1


async def test_a_skipped_step_and_one_out_of_order_each_warn_once(county, say, services: Services, clock: ManualClock):
    await say("app", "jiangfeng", "权力 启动 重大事项 修缮村部")
    await say("app", "jiangfeng", "权力 完成 1 1 提议修缮")
    clock.advance(days=1)
    reply = text_of(await say("app", "zhaoshuqin", "权力 完成 1 3 党员大会同意"))  # 副书记; step 2 not done
    assert reply == (
        "已记录：流程 1 第3步「党员大会审议」完成。前面还有步骤没做，已按清单发出失责预警。这一步没按顺序做，已按清单发出失责预警。"
    )
    kinds = sorted(await PowerWarning.all().values_list("position", "kind"))
    assert kinds == [(2, "skipped"), (3, "out_of_order")]
    reasons = [text for userid, text in await warned() if userid == "zhaoshuqin"]
    assert len(reasons) == 1 and "第3步「党员大会审议」" in reasons[0]  # 副书记 hears of their own step only
    assert len([1 for userid, _ in await warned() if userid == "zhangwei"]) == 2
    clock.advance(days=30)
    ticked = await tickers.tick(services)
    assert (await PowerWarning.filter(position=2, kind="overdue").count(), ticked) == (0, 1)  # skipped is told
    again = text_of(await say("app", "zhaoshuqin", "权力 完成 1 3 党员大会同意"))
    assert again == "流程 1 第3步「党员大会审议」已经记录过了。"
    assert await PowerWarning.all().count() == 3  # skipped, out of order, and step 4's overdue


async def test_only_the_responsible_cadre_records_and_only_a_village_cadre_starts(county, say):
    assert (
        text_of(await say("app", "jiangdahai", "权力 启动 大额资金 修缮村部")) == "只有本村的村干部能启动小微权力流程。"
    )
    await say("app", "jiangfeng", "权力 启动 大额资金 修缮村部 8万元")
    refused = text_of(await say("app", "zhaoshuqin", "权力 完成 1 1"))
    assert refused == "这一步由村党组织书记记录（姜峰），您记录不了。"
    assert text_of(await say("app", "jiangfeng", "权力 启动 宅基地 张三")).startswith("清单里没有叫“宅基地”的流程。")
    assert text_of(await say("app", "jiangfeng", "权力 完成 9 1")).startswith("没找到流程“9”")
    assert not await PowerStep.filter(state="done").exists()
