"""A county-sized data set for the console's speed bench: 300 villages, 30,000 households and a year of
50,000 requests with their tickets, parts and event trails, written into an empty, migrated database.

    python bench/county_data.py --db sqlite:///tmp/county.sqlite3 [--villages 300 --households 30000 --requests 50000]

Rows are made as the handlers leave them (see tests/bot/console/seed.py for the same shape at demo size):
two thirds of the requests whistled to one department, most signed and finished, many rated. Fixed seed:
the same data every run. People: `bench_county` (county_admin), `bench_t01`… (a committee member per
township), `bench_l_transport`… (a liaison per department), `bench_v001`… (a secretary per village).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.clock import SHANGHAI  # noqa: E402
from models import (  # noqa: E402
    Area,
    Assignment,
    Department,
    Household,
    Person,
    Request,
    Role,
    Ticket,
    TicketEvent,
)
from models.db import database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from models.rate_refresh import refresh  # noqa: E402

NOW = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)
DEPARTMENTS = {
    "transport": "交通运输局", "water": "水务局", "agriculture": "农业农村局", "civil_affairs": "民政局",
    "health": "卫生健康局", "housing": "住房和城乡建设局", "power": "供电公司", "public_security": "公安局",
    "justice": "司法局", "human_resources": "人社局", "natural_resources": "自然资源局", "ecology": "生态环境局",
    "education": "教育局", "market": "市场监管局", "finance": "财政局", "emergency": "应急管理局",
    "telecom": "通信运营商", "village": "村两委",
}  # fmt: skip
TEXTS = (
    "村口路灯坏了",
    "自来水停了两天",
    "玉米补贴还没到账",
    "危房改造验收",
    "路上有个大坑",
    "低保申请进度",
    "垃圾没人清运",
)
BATCH = 2000


async def bulk(model: Any, rows: list[Any]) -> None:
    for start in range(0, len(rows), BATCH):
        await model.bulk_create(rows[start : start + BATCH])


async def generate(
    villages: int, households: int, requests: int, townships: int = 15, seed: int = 17
) -> dict[str, int]:
    rng = random.Random(seed)
    county = await Area.create(code="bench", name="基准县", level="county")
    await bulk(
        Area,
        [
            Area(code=f"t{t:02d}", name=f"第{t}乡", level="township", parent_id=county.id)
            for t in range(1, townships + 1)
        ],
    )
    town_ids = {a.code: a.id for a in await Area.filter(level="township")}
    await bulk(
        Area,
        [
            Area(code=f"v{v:03d}", name=f"{v}村", level="village", parent_id=town_ids[f"t{v % townships + 1:02d}"])
            for v in range(1, villages + 1)
        ],
    )
    village_ids = {a.code: a.id for a in await Area.filter(level="village")}
    await bulk(
        Area,
        [
            Area(code=f"{code}-h{h}", name=f"{h}屯", level="hamlet", parent_id=vid)
            for code, vid in village_ids.items()
            for h in (1, 2)
        ],
    )
    hamlet_ids = {a.code: a.id for a in await Area.filter(level="hamlet")}
    await bulk(
        Area,
        [
            Area(code=f"{code}-g{g}", name=f"{g}网格", level="grid", parent_id=hid)
            for code, hid in hamlet_ids.items()
            for g in (1, 2)
        ],
    )
    grids = await Area.filter(level="grid").order_by("id")
    parents = {a.id: a.parent_id for a in await Area.all()}

    def township_of(area_id: int) -> int:
        while area_id not in town_ids.values():
            area_id = parents[area_id]
        return area_id

    await bulk(Department, [Department(code=c, name=n) for c, n in DEPARTMENTS.items()])
    departments = {d.code: d.id for d in await Department.all()}
    await bulk(
        Household,
        [Household(code=f"hh{i:06d}", head=f"户主{i}", grid_id=grids[i % len(grids)].id) for i in range(households)],
    )

    people = [Person(userid="bench_county", name="县管理员")]
    people += [Person(userid=f"bench_{code}", name=f"{code}委员") for code in town_ids]
    people += [Person(userid=f"bench_l_{code}", name=f"{name}联络员") for code, name in DEPARTMENTS.items()]
    people += [Person(userid=f"bench_{code}", name=f"{code}书记") for code in village_ids]
    await bulk(Person, people)
    ids = {p.userid: p.id for p in await Person.all()}
    roles = [Role(person_id=ids["bench_county"], role="county_admin", area_id=county.id, scope="bench")]
    roles += [
        Role(person_id=ids[f"bench_{c}"], role="township_committee", area_id=i, scope=c) for c, i in town_ids.items()
    ]
    roles += [
        Role(person_id=ids[f"bench_l_{c}"], role="liaison", department_id=i, scope=c) for c, i in departments.items()
    ]
    roles += [
        Role(person_id=ids[f"bench_{c}"], role="village_secretary", area_id=i, scope=c) for c, i in village_ids.items()
    ]
    await bulk(Role, roles)

    request_rows, made = [], []
    for n in range(requests):
        created = NOW - timedelta(seconds=rng.uniform(0, 365 * 86400))
        grid = grids[rng.randrange(len(grids))]
        urgent = rng.random() < 0.1
        whistled = rng.random() < 0.66
        request_rows.append(
            Request(
                number=n + 1, text=rng.choice(TEXTS), channel="relay", area_id=grid.id,
                status="whistled" if whistled else "kept_in_grid", primary="transport" if whistled else "village",
                urgency="urgent" if urgent else "normal", created_at=created, updated_at=created,
            )
        )  # fmt: skip
        made.append((created, grid.id, urgent, whistled))
    await bulk(Request, request_rows)
    request_ids = dict(await Request.all().values_list("number", "id"))
    ticket_rows, plans, events = [], [], []
    codes = [c for c in DEPARTMENTS if c != "village"]
    for n, (created, grid_id, urgent, whistled) in enumerate(made, start=1):
        rid = request_ids[n]
        events.append(TicketEvent(request_id=rid, kind="recorded", at=created))
        if not whistled:
            continue
        respond_due = created + timedelta(hours=1 if urgent else 24)
        resolve_due = created + timedelta(days=1 if urgent else 7)
        on_duty = created + timedelta(hours=rng.uniform(0.1, 36))
        done = on_duty + timedelta(days=rng.uniform(0.2, 10))
        finished = rng.random() < 0.85 and done <= NOW
        ticket_rows.append(
            Ticket(
                number=requests + len(ticket_rows) + 1, request_id=rid, township_id=township_of(grid_id),
                urgency="urgent" if urgent else "normal", status="resolved" if finished else "open",
                created_at=created, respond_due=respond_due, resolve_due=resolve_due, resolved_at=done if finished else None,
            )
        )  # fmt: skip
        plans.append(
            (
                rid,
                rng.choice(codes),
                created,
                respond_due,
                resolve_due,
                on_duty if on_duty <= NOW else None,
                done if finished else None,
            )
        )
    await bulk(Ticket, ticket_rows)
    ticket_ids = dict(await Ticket.all().values_list("request_id", "id"))
    parts, rated = [], []
    for rid, code, created, respond_due, resolve_due, on_duty, done in plans:
        tid, did = ticket_ids[rid], departments[code]
        state = "done" if done else ("on_duty" if on_duty else "notified")
        parts.append(
            Assignment(
                ticket_id=tid,
                department_id=did,
                is_primary=True,
                state=state,
                notified_at=created,
                on_duty_at=on_duty,
                done_at=done,
            )
        )
        trail = {"respond_due": respond_due.isoformat(), "resolve_due": resolve_due.isoformat()}
        events.append(TicketEvent(ticket_id=tid, request_id=rid, kind="whistled", at=created))
        events.append(
            TicketEvent(ticket_id=tid, request_id=rid, department_id=did, kind="notified", data=trail, at=created)
        )
        if on_duty:
            events.append(TicketEvent(ticket_id=tid, request_id=rid, department_id=did, kind="on_duty", at=on_duty))
        if done:
            events.append(TicketEvent(ticket_id=tid, request_id=rid, department_id=did, kind="done", at=done))
            if rng.random() < 0.7:
                rating = rng.choice(("satisfied", "satisfied", "basically_satisfied", "unsatisfied"))
                events.append(
                    TicketEvent(
                        request_id=rid,
                        kind="rated",
                        data={"satisfaction": rating},
                        at=min(done + timedelta(hours=3), NOW),
                    )
                )
                rated.append((rid, rating, done))
    await bulk(Assignment, parts)
    await bulk(TicketEvent, events)
    for rating in ("satisfied", "basically_satisfied", "unsatisfied"):
        chosen = [rid for rid, r, _ in rated if r == rating]
        for start in range(0, len(chosen), 900):
            await Request.filter(id__in=chosen[start : start + 900]).update(
                status="closed", satisfaction=rating
            )  # by rating, 900 at a time
    return {
        "areas": len(parents),
        "households": households,
        "requests": requests,
        "tickets": len(ticket_rows),
        "events": len(events),
    }


async def main(url: str, villages: int, households: int, requests: int) -> None:
    await upgrade(url)
    started = time.perf_counter()
    async with database(url):
        if await Request.exists():
            print(f"{url} already holds requests: give an empty database", file=sys.stderr)
            raise SystemExit(1)
        counts = await generate(villages, households, requests)
        from tortoise import connections

        await refresh(NOW)  # the rates' parts read from the trail, as the service's ticker would

        await connections.get("default").execute_script("ANALYZE")  # the planner's statistics, as autovacuum would
    print(f"generated in {time.perf_counter() - started:.0f} s: {counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="sqlite://PATH or postgres://USER@HOST:PORT/DB (empty)")
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--households", type=int, default=30000)
    parser.add_argument("--requests", type=int, default=50000)
    args = parser.parse_args()
    asyncio.run(main(args.db, args.villages, args.households, args.requests))
