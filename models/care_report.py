"""Visit compliance per village: of the due periods that ended, how many had a visit (for `report tasks`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from config.policy import VisitsPolicy
from config.timezone import SHANGHAI
from models.area_tree import AreaTree
from models.care_periods import counted_periods, visit_days, visited_in
from models.people import CarePair


@dataclass(frozen=True)
class VillageVisits:
    township: str
    village: str
    households: int  # paired households
    due: int  # periods of `year` that ended by `until`
    visited: int

    @property
    def rate(self) -> float | None:
        return self.visited / self.due if self.due else None


async def village_compliance(section: VisitsPolicy, year: int, until: date, tree: AreaTree) -> list[VillageVisits]:
    end = min(until, date(year + 1, 1, 1))
    pairs = await CarePair.all().prefetch_related("household")
    days = await visit_days([p.household_id for p in pairs], datetime.combine(date(year - 1, 12, 1), time(), SHANGHAI))
    tally: dict[int, list[int]] = {}
    for pair in pairs:
        household = pair.household
        village = tree.village_of(household.grid_id)
        if village is None:
            continue
        due = [
            p
            for p in counted_periods(household.tags, pair.since, end, section)
            if p.end <= end and p.end.year >= year and p.start.year <= year
        ]
        entry = tally.setdefault(village.id, [0, 0, 0])
        entry[0] += 1
        entry[1] += len(due)
        entry[2] += sum(visited_in(p, days.get(household.id, set())) for p in due)
    rows = []
    for village_id, (households, due_count, visited) in tally.items():
        village = tree.areas[village_id]
        township = tree.township_of(village_id)
        rows.append(VillageVisits(township.name if township else "", village.name, households, due_count, visited))
    return sorted(rows, key=lambda r: (r.township, r.village))
