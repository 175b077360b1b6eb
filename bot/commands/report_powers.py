"""`gridwhistle report powers --year Y [--xlsx FILE]`: the small-powers list's record per village for a year —
questions answered from the list (by item), flows started, completed and overdue, and 失责预警 raised.

A flow counts as overdue when one of its steps got an overdue warning; the year is Beijing time's.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.commands import add_config_arg, settings_from
from bot.commands.tables import Sheet, text_table, write_xlsx
from config.timezone import SHANGHAI
from models import Area, PowerAnswer, PowerFlow, PowerWarning
from models.db import database


def register_report(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "powers", help="the small-powers list per village for a year", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--year", required=True, type=int, metavar="YYYY", help="e.g. 2026")
    parser.add_argument("--xlsx", metavar="FILE", type=Path, default=None, help="also write an XLSX file")
    add_config_arg(parser)
    parser.set_defaults(run=run_powers)


def run_powers(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        sheets = asyncio.run(_sheets(settings.database.url, args.year))
    except OSError as exc:
        print(f"gridwhistle report powers: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    for title, headers, rows in sheets:
        print(f"{args.year} 年小微权力清单 — {title}")
        print(text_table(headers, rows) if rows else "（无）")
        print()
    if args.xlsx is not None:
        write_xlsx(args.xlsx, sheets)
        print(f"已写入 {args.xlsx}")
    return 0


async def _sheets(url: str, year: int) -> list[Sheet]:
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    async with database(url):
        answers = await PowerAnswer.filter(at__gte=start, at__lt=end)
        flows = await PowerFlow.filter(started_at__gte=start, started_at__lt=end)
        warnings = await PowerWarning.filter(flow_id__in=[f.id for f in flows])
        names = {
            a.id: a.name
            for a in await Area.filter(id__in={*(a.village_id for a in answers), *(f.village_id for f in flows)})
        }
    village_of_flow = {f.id: f.village_id for f in flows}
    overdue_flows = {w.flow_id for w in warnings if w.kind == "overdue"}
    by_village: dict[int, list[int]] = {}
    for village_id in names:
        mine = [f for f in flows if f.village_id == village_id]
        by_village[village_id] = [
            sum(1 for a in answers if a.village_id == village_id),
            len(mine),
            sum(1 for f in mine if f.status == "completed"),
            sum(1 for f in mine if f.id in overdue_flows),
            sum(1 for w in warnings if village_of_flow[w.flow_id] == village_id),
        ]
    villages: Sheet = (
        "各村",
        ["村", "按清单答复", "启动流程", "完成流程", "超时流程", "失责预警"],
        [[names[v], *map(str, counts)] for v, counts in sorted(by_village.items(), key=lambda kv: names[kv[0]])],
    )
    counted: dict[tuple[str, str], int] = {}
    for answer in answers:
        key = (names[answer.village_id], answer.item)
        counted[key] = counted.get(key, 0) + 1
    items: Sheet = ("按事项答复", ["村", "事项", "答复次数"], [[v, i, str(n)] for (v, i), n in sorted(counted.items())])
    kinds: dict[tuple[str, str], int] = {}
    for warning in warnings:
        key = (names[village_of_flow[warning.flow_id]], warning.kind)
        kinds[key] = kinds.get(key, 0) + 1
    warned: Sheet = ("失责预警", ["村", "类别", "次数"], [[v, k, str(n)] for (v, k), n in sorted(kinds.items())])
    return [villages, items, warned]
