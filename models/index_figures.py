"""The figures the performance index takes from what the product already records, per village for a year
up to a moment (the names are config/index_file.FIGURES). Each is None while it has nothing to judge.

- the ticket rates (响应率, 解决率, 按时办结率, 满意率): models/ticket_metrics.py's one definition, its Rates
  filled with the parts of the tickets of the village's requests (the request's area decides the village)
- requests_per_100_households: the village's requests (not merged into another) per 100 of its households
- kept_in_village_share: of the village's matters resolved in the year, the share resolved in the grid or by
  the village (小事不出网格、大事不出村): models/resolution_shares.py's one definition (网格办结 + 村办结 of
  all resolved), counted by when each was resolved, so the index and 统计 never disagree
- tasks_registered_share / tasks_done_share: the village's cadres' 实事 registered / done against cadres ×
  the yearly minimum (models/tasks_report.py)
- care_visit_rate: the village's 包保 visit compliance (models/care_report.py)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from config.policy import Policy
from config.timezone import SHANGHAI
from models.area_tree import AreaTree
from models.care_report import village_compliance
from models.people import Household
from models.rate_counts import CountedRates, counted_rates
from models.requests import Request
from models.resolution_shares import where_resolved
from models.tasks_report import village_rows
from models.ticket_metrics import Rates


@dataclass
class VillageFigures:
    values: dict[str, float | None] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)  # figure → its inputs, e.g. "12/15"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def year_span(year: int, now: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(date(year, 1, 1), time(), SHANGHAI)
    end = min(now, datetime.combine(date(year + 1, 1, 1), time(), SHANGHAI))
    return start, end


async def village_figures(policy: Policy, year: int, now: datetime, tree: AreaTree) -> dict[int, VillageFigures]:
    """{village id: its figures} for every village, for `year` as of `now`."""
    start, end = year_span(year, now)
    villages = [a for a in tree.areas.values() if a.level == "village"]
    found = {v.id: VillageFigures() for v in villages}
    await _ticket_rates(found, start, end, now, tree)
    await _requests(found, start, end, tree)
    await _kept(found, start, end, now)
    await _tasks(found, policy, year, tree)
    await _visits(found, policy, year, end.date(), tree)
    return found


async def _ticket_rates(
    found: dict[int, VillageFigures], start: datetime, end: datetime, now: datetime, tree: AreaTree
) -> None:
    # counted by the database (models/rate_counts.py): by each part's request's area, summed into its village
    counted = await counted_rates(start, end, now, groupings=("area",))
    rates: dict[int, Rates] = {}
    for area_id, area_rates in counted["area"].items():
        village = tree.village_of(area_id)
        if village is not None:
            kept = rates.setdefault(village.id, CountedRates(village.name))
            assert isinstance(kept, CountedRates)
            kept.merge(area_rates)
    for village_id, figures in found.items():
        r = rates.get(village_id, Rates(""))
        figures.values.update(
            response_rate=r.response_rate,
            resolution_rate=r.resolution_rate,
            on_time_rate=r.on_time_rate,
            satisfaction_rate=r.satisfaction_rate,
        )
        figures.basis.update(
            response_rate=f"{r.responded_on_time}/{r.respond_judged}",
            resolution_rate=f"{r.done}/{r.resolve_judged}",
            on_time_rate=f"{r.done_on_time}/{r.resolve_judged}",
            satisfaction_rate=f"{r.satisfied}/{r.rated}",
        )


async def _requests(found: dict[int, VillageFigures], start: datetime, end: datetime, tree: AreaTree) -> None:
    households: dict[int, int] = {}
    for grid_id in await Household.all().values_list("grid_id", flat=True):
        village = tree.village_of(int(grid_id))  # type: ignore[call-overload]  # flat: one int per row
        if village is not None:
            households[village.id] = households.get(village.id, 0) + 1
    rows = await Request.filter(created_at__gte=start, created_at__lt=end, merged_into_id__isnull=True).values_list(
        "area_id", flat=True
    )
    counts: dict[int, int] = {}
    for area_id in rows:
        village = tree.village_of(int(area_id))  # type: ignore[call-overload]  # flat: one int per row
        if village is not None:
            counts[village.id] = counts.get(village.id, 0) + 1
    for village_id, figures in found.items():
        requests, homes = counts.get(village_id, 0), households.get(village_id, 0)
        figures.values["requests_per_100_households"] = round(100 * requests / homes, 2) if homes else None
        figures.basis["requests_per_100_households"] = f"{requests}/{homes}"


async def _kept(found: dict[int, VillageFigures], start: datetime, end: datetime, now: datetime) -> None:
    rows = {r.area_id: r for r in await where_resolved(start, end, now) if r.level == "village"}
    for village_id, figures in found.items():
        row = rows.get(village_id)
        kept, resolved = (row.grid + row.village, row.resolved) if row else (0, 0)
        figures.values["kept_in_village_share"] = _share(kept, resolved)
        figures.basis["kept_in_village_share"] = f"{kept}/{resolved}"


async def _tasks(found: dict[int, VillageFigures], policy: Policy, year: int, tree: AreaTree) -> None:
    by_code = {a.code: a.id for a in tree.areas.values()}
    rows = {by_code[r.village_code]: r for r in await village_rows(policy.tasks, year, tree)}
    for village_id, figures in found.items():
        row = rows.get(village_id)
        wanted = row.cadres * policy.tasks.quota_min if row else 0
        registered, done = (row.registered, row.done) if row else (0, 0)
        figures.values["tasks_registered_share"] = _share(registered, wanted)
        figures.values["tasks_done_share"] = _share(done, wanted)
        figures.basis["tasks_registered_share"] = f"{registered}/{wanted}"
        figures.basis["tasks_done_share"] = f"{done}/{wanted}"


async def _visits(found: dict[int, VillageFigures], policy: Policy, year: int, until: date, tree: AreaTree) -> None:
    by_name = {(r.township, r.village): r for r in await village_compliance(policy.visits, year, until, tree)}
    for village_id, figures in found.items():
        township = tree.township_of(village_id)
        row = by_name.get((township.name if township else "", tree.areas[village_id].name))
        figures.values["care_visit_rate"] = row.rate if row else None
        figures.basis["care_visit_rate"] = f"{row.visited}/{row.due}" if row else "0/0"
