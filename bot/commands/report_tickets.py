"""`gridwhistle report tickets --month 2026-11 [--xlsx FILE] [--config FILE]`: per department and per township
the tickets, 件次, those 进行中 and 退单, 签收及时率, 办结率, 按时办结率, 满意率 and the average hours to 签收 and to
办结 — models/ticket_metrics.py, the one definition 统计 uses too, judged as of now. Prints a table; --xlsx also
writes a spreadsheet.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from pathlib import Path

from bot.clock import SHANGHAI, Clock
from bot.commands import add_config_arg, settings_from
from bot.commands.tables import text_table, write_xlsx
from config.texts import Texts
from models.db import database
from models.resolution_shares import Resolution, where_resolved
from models.ticket_metrics import Rates, rates


def register_report(actions: argparse._SubParsersAction) -> None:
    parser = actions.add_parser(
        "tickets", help="whistle tickets' rates for a month", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--month", required=True, metavar="YYYY-MM", type=_month, help="e.g. 2026-11")
    parser.add_argument("--xlsx", metavar="FILE", type=Path, default=None, help="also write an XLSX file")
    add_config_arg(parser)
    parser.set_defaults(run=run_tickets)


def _month(value: str) -> tuple[datetime, datetime]:
    try:
        start = datetime.strptime(value, "%Y-%m").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month like 2026-11") from None
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def run_tickets(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    start, end = args.month
    try:
        by_department, by_township, shares = asyncio.run(_rates(settings.database.url, start, end))
    except OSError as exc:
        print(f"gridwhistle report tickets: cannot reach the database in [database] url: {exc}", file=sys.stderr)
        return 1
    texts = Texts.load()
    headers = texts.render("whistle.report_columns").split(",")
    rows = [_row(texts.render("whistle.report_township"), r) for r in by_township] + [
        _row(texts.render("whistle.report_department"), r) for r in by_department
    ]
    print(texts.render("whistle.report_title", month=start.strftime("%Y-%m")))
    print(text_table(headers, rows) if rows else texts.render("whistle.report_empty"))
    share_headers = texts.render("village.report_columns").split(",")
    share_rows = [_share_row(texts.render(f"village.report_{r.level}"), r) for r in shares]
    if share_rows:  # where matters were resolved: the grid, the village, the departments
        print(texts.render("village.report_title", month=start.strftime("%Y-%m")))
        print(text_table(share_headers, share_rows))
    if args.xlsx is not None:
        sheets = [(start.strftime("%Y-%m"), headers, rows)]
        sheets += [(texts.render("village.report_sheet"), share_headers, share_rows)] if share_rows else []
        write_xlsx(args.xlsx, sheets)
        print(texts.render("whistle.report_written", file=args.xlsx))
    return 0


async def _rates(url: str, start: datetime, end: datetime) -> tuple[list[Rates], list[Rates], list[Resolution]]:
    async with database(url):
        now = Clock().now()
        by_department, by_township = await rates(start, end, now)
        return by_department, by_township, await where_resolved(start, end, now)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(kind: str, r: Rates) -> list[str]:
    return [
        kind,
        r.name,
        str(r.ticket_count),
        str(r.episodes),
        str(r.ongoing),
        str(r.returned),
        _percent(r.response_rate),
        _percent(r.resolution_rate),
        _percent(r.on_time_rate),
        _percent(r.satisfaction_rate),
        _hours(r.avg_respond_hours),
        _hours(r.avg_done_hours),
    ]


def _share_row(kind: str, r: Resolution) -> list[str]:
    return [
        kind,
        r.name,
        str(r.resolved),
        _percent(r.grid_share),
        _percent(r.village_share),
        _percent(r.department_share),
        _percent(r.same_day_rate),
        str(r.same_day_judged),
    ]
