"""The yearly 实事 figures per cadre and per village, for `实事 统计`, the year-end summary and `report tasks`."""

from __future__ import annotations

from dataclasses import dataclass

from config.policy import TasksPolicy
from models.area_tree import AreaTree
from models.areas import Area
from models.cadre_queries import all_cadres
from models.tasks_queries import Tally, tallies


@dataclass(frozen=True)
class CadreRow:
    township: str
    village: str
    village_code: str
    name: str
    userid: str
    registered: int
    done: int
    behind: bool  # fewer done than the yearly minimum


@dataclass(frozen=True)
class VillageRow:
    township: str
    township_code: str
    village: str
    village_code: str
    cadres: int
    registered: int
    done: int
    behind: int  # cadres behind the yearly minimum


async def cadre_rows(tasks: TasksPolicy, year: int, tree: AreaTree) -> list[CadreRow]:
    counts = await tallies(year)
    rows = []
    for cadre in await all_cadres(tasks, tree):
        tally = counts.get(cadre.person_id, Tally())
        rows.append(
            CadreRow(
                township=cadre.township.name if cadre.township else "",
                village=cadre.village.name if cadre.village else "",
                village_code=cadre.village.code if cadre.village else "",
                name=cadre.name,
                userid=cadre.userid,
                registered=tally.registered,
                done=tally.done,
                behind=tally.done < tasks.quota_min,
            )
        )
    return rows


async def village_rows(tasks: TasksPolicy, year: int, tree: AreaTree) -> list[VillageRow]:
    by_village: dict[str, list[CadreRow]] = {}
    for row in await cadre_rows(tasks, year, tree):
        by_village.setdefault(row.village_code, []).append(row)

    def by_township(village: Area) -> tuple[str, str]:
        township = tree.township_of(village.id)
        return (township.code if township else "", village.code)

    villages = sorted((a for a in tree.areas.values() if a.level == "village"), key=by_township)
    result = []
    for village in villages:
        rows = by_village.get(village.code, [])
        township = tree.township_of(village.id)
        result.append(
            VillageRow(
                township=township.name if township else "",
                township_code=township.code if township else "",
                village=village.name,
                village_code=village.code,
                cadres=len(rows),
                registered=sum(r.registered for r in rows),
                done=sum(r.done for r in rows),
                behind=sum(r.behind for r in rows),
            )
        )
    return result
