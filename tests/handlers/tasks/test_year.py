"""A simulated 2026: the clock steps hour by hour, the scheduler runs the 实事 ticker at its times
([tasks] tick_hours: 9, 13, 17) and each run is repeated at once (a second process, a double fire),
cadres act through chat, the service is down three times (the scheduler is stopped and a new one
started); every cadre gets exactly the reminders the calendar promises, each once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from bot.clock import SHANGHAI
from bot.scheduler import Scheduler
from config.settings import DEMO_ORG_FILE
from handlers.tasks import tickers as tasks_reminders
from models import OutboxMessage
from models.org import load_org


def at(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


# (when, userid, text): what cadres say in the app during the year
ACTIONS = [
    (at(1, 4, 10), "jiangfeng", "实事 登记 修三屯桥"),
    (at(1, 4, 10), "jiangfeng", "实事 登记 送煤到高玉珍家"),
    (at(1, 4, 10), "jiangfeng", "实事 登记 装路灯"),
    (at(1, 20, 10), "jiangfeng", "实事 完成 1 修好了"),
    (at(1, 21, 10), "jiangfeng", "实事 完成 2 送到了"),
    (at(2, 1, 10), "jiangfeng", "实事 完成 3 装好了"),
    (at(1, 6, 10), "lidawei", "实事 登记 修前屯路灯"),
    (at(1, 6, 10), "lidawei", "实事 登记 清理垃圾"),
    (at(3, 16, 10), "lidawei", "实事 完成 1 修好了"),
    (at(6, 22, 10), "lidawei", "实事 完成 2 清完了"),
    (at(5, 20, 10), "wangjun", "实事 登记 帮韩德山修房顶"),
    (at(9, 1, 10), "wangjun", "实事 完成 1 修好了"),
    (at(10, 15, 10), "zhanghongmei", "实事 登记 修西屯水井"),
]
DOWN = [  # the service is off: no ticks, no messages processed
    (at(4, 8), at(4, 13, 10)),  # monthly 04 (due 04-10 09:00) goes out once at the 13:00 tick of 04-13
    (at(9, 29, 18), at(10, 2, 2)),  # the Q3 check goes out at the first tick after the return (10-02 09:00)
    (at(11, 9), at(12, 2, 10)),  # monthly 11 is superseded by the last call on 12-01: only the last call goes
]
EVERYONE = {("kickoff", "kickoff"), ("quarter", "06-30"), ("quarter", "09-30"), ("last_call", "last_call")}
EXPECTED_SPECIAL = {
    "jiangfeng": set(),  # three registered before the kick-off, all done by February
    "lidawei": {
        ("kickoff", "kickoff"),
        ("monthly", "02"),
        ("monthly", "03"),
        ("monthly", "04"),
        ("monthly", "05"),
        ("monthly", "06"),
    },
    "wangjun": {
        ("kickoff", "kickoff"),
        ("monthly", "06"),
        ("monthly", "07"),
        ("monthly", "08"),
        ("quarter", "06-30"),
        ("quarter", "09-30"),
        ("last_call", "last_call"),
    },
    "zhanghongmei": EVERYONE,  # registered after the monthly 10 was due: no late monthly for her
}
CADRES = [
    # the demo's serving Party members (config/demo/members.csv) are cadres for 实事 too
    "gaojianguo",
    "zhoudianming",
    "hezheng",
    "zhengxiaoyan",
    "fenglei",
    "jiangfeng",
    "liuyang",
    "zhaoshuqin",
    "lidawei",
    "zhangguirong",
    "wangjun",
    "qiguoqing",
    "huangwei",
    "luxiuping",
    "yangshulan",
    "songdejun",
    "liguoqiang",
    "wangyue",
    "zhanghongmei",
    "zhouyuhua",
    "sunjianguo",
    "mafugui",
    "chenhao",
    "tianfengying",
    "guoyufen",
    "liuchangshan",
    "yinxiuying",
    "wuhao",
    "leijing",
    "hexiaoli",
    "fanzhiqiang",
]
TOWNSHIP = {
    "zhangwei": "baishan",
    "lihong": "baishan",
    "wanggang": "baishan",
    "chenjing": "longxing",
    "zhouqiang": "longxing",
    "xuming": "longxing",
    "wuhaiyan": "longjiangzhen",
    "zhengyu": "longjiangzhen",
}


def is_down(when: datetime) -> bool:
    return any(start <= when < end for start, end in DOWN)


@pytest.fixture
async def year_run(db, clock, say, services):
    clock.set(at(1, 1, 0))
    await load_org([DEMO_ORG_FILE], clock.now())
    actions = sorted(ACTIONS, key=lambda a: a[0])
    end = at(1, 5, 0, year=2027)  # the 2027 kick-off is not part of this year
    scheduler: Scheduler | None = None
    ticks = 0
    while clock.now() <= end:
        now = clock.now()
        if is_down(now):
            if scheduler is not None:
                await scheduler.stop()
                scheduler = None
        else:
            if scheduler is None:  # (re)start: a new process with a fresh scheduler
                scheduler = Scheduler(clock=clock, database_url=db)
                tasks_reminders.register(scheduler, services)
                await scheduler.start()
            while actions and actions[0][0] <= now:
                _, userid, text = actions.pop(0)
                assert "已" in (await say("app", userid, text))[0].payload["text"]
            if await scheduler.run_due():
                ticks += 1
                again = await tasks_reminders.tick(services, now)  # the same run again queues nothing
                assert again == {}, (now, again)
        clock.advance(hours=1)
    assert scheduler is not None
    await scheduler.stop()
    assert not actions and ticks > 3 * 300
    return await OutboxMessage.filter(dedupe_key__startswith="tasks:").order_by("id")


async def test_a_year_of_reminders(year_run):
    """One simulated year (about 20 s) checked two ways."""
    check_every_cadre_gets_exactly_the_promised_reminders(year_run)
    check_reminders_go_when_due_or_on_return(year_run)


def check_every_cadre_gets_exactly_the_promised_reminders(year_run):
    received: dict[str, list[tuple[str, str]]] = {}
    for row in year_run:
        _, year, kind, period, *rest = row.dedupe_key.split(":")
        if year == "2025":  # last year's summary, still relevant on 1 January
            assert kind == "summary" and row.created_at == at(1, 1, 9)
            continue
        assert year == "2026"
        if kind != "summary":
            assert rest == [row.target]
            received.setdefault(row.target, []).append((kind, period))
    for userid in CADRES:
        got = received.pop(userid, [])
        assert len(got) == len(set(got)), f"{userid} got a reminder twice: {got}"
        assert set(got) == EXPECTED_SPECIAL.get(userid, EVERYONE), userid
    assert received == {}  # nobody else (villagers, liaisons) got a cadre reminder
    per_kind = Counter(row.dedupe_key.split(":")[2] for row in year_run if row.dedupe_key.startswith("tasks:2026:"))
    assert per_kind == {"kickoff": 30, "monthly": 8, "quarter": 58, "last_call": 29, "summary": 8}


def check_reminders_go_when_due_or_on_return(year_run):
    by_key = {row.dedupe_key: row for row in year_run}
    kickoff = by_key["tasks:2026:kickoff:kickoff:liuyang"]
    assert kickoff.created_at == at(1, 5, 9) and kickoff.not_before == at(1, 5, 9)
    assert by_key["tasks:2026:monthly:04:lidawei"].created_at == at(4, 13, 13)  # caught up once after the downtime
    assert by_key["tasks:2026:monthly:05:lidawei"].created_at == at(5, 11, 9)  # 05-10 is a Sunday
    q3 = by_key["tasks:2026:quarter:09-30:liuyang"]
    assert q3.created_at == at(10, 2, 9) and q3.not_before == at(10, 2, 9)
    assert by_key["tasks:2026:last_call:last_call:liuyang"].created_at == at(12, 2, 13)
    summary = by_key["tasks:2026:summary:summary:baishan:zhangwei"]
    assert summary.created_at == at(12, 31, 9)
    text = summary.payload["text"]
    assert "白山镇 2026年实事年终汇总" in text
    # 3 of 后道老村's and 2 of 红旗农场's cadres are the demo's serving Party members (config/demo/members.csv)
    assert "后道老村：干部 9 人，登记 6，完成 6，未达标 7 人" in text and "红旗农场：干部 7 人，登记 0" in text
    for userid, township in TOWNSHIP.items():
        assert f"tasks:2026:summary:summary:{township}:{userid}" in by_key
