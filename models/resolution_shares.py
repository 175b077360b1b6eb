"""Where matters were resolved, one definition for every view (统计 in chat, `gridwhistle report tickets`, any page):
per township and per village, as of a moment (`now`); the sibling of models/ticket_metrics.py.

A matter is a villager's request (a neighbour's report merged into it is not counted again), counted in the month
it was resolved (`resolved_at`):
- 网格办结 (grid): resolved without a ticket and never at the village stage — the grid kept it (小事不出网格);
- 村办结 (village): resolved without a ticket after the village tier gave it to the village (大事不出村);
- 部门办结 (departments): resolved with a ticket (whistled to county departments).
Each share is of the matters resolved; none resolved: None (shown as 暂无).

村当天办结率 (the village's same-day rate), over matters that reached the village stage in the month: those the
village closed by their due time (当天, the `at_village` event's `due`) ÷ those judged — closed by the village (on
time or late), or past the due time while still with the village or taken from it (sent up, whistled) only after
it. A matter sent up or whistled before its due time is not the village's to judge; one still within it waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models import Request, Ticket, TicketEvent
from models.area_tree import AreaTree

STAGE = "at_village"
LEFT_STAGE = ("escalated", "whistled")  # 上报乡镇, or the township whistled it


@dataclass
class Resolution:
    name: str
    level: str  # township | village
    area_id: int
    grid: int = 0
    village: int = 0
    departments: int = 0
    same_day_judged: int = 0
    same_day: int = 0

    @property
    def resolved(self) -> int:
        return self.grid + self.village + self.departments

    def _share(self, part: int) -> float | None:
        return part / self.resolved if self.resolved else None

    @property
    def grid_share(self) -> float | None:
        return self._share(self.grid)

    @property
    def village_share(self) -> float | None:
        return self._share(self.village)

    @property
    def department_share(self) -> float | None:
        return self._share(self.departments)

    @property
    def same_day_rate(self) -> float | None:
        return self.same_day / self.same_day_judged if self.same_day_judged else None


async def where_resolved(
    start: datetime, end: datetime, now: datetime, township_id: int | None = None
) -> list[Resolution]:
    """Each township, then each village, with matters resolved or staged at the village in [start, end); by name."""
    tree = await AreaTree.load()
    rows: dict[int, Resolution] = {}

    def rows_of(area_id: int | None) -> list[Resolution]:
        found = []
        for level in ("township", "village"):
            area = tree.ancestor(area_id, level)
            if area is not None and (township_id is None or tree.within(area.id, township_id)):
                found.append(rows.setdefault(area.id, Resolution(area.name, level, area.id)))
        return found

    resolved = await Request.filter(merged_into_id=None, resolved_at__gte=start, resolved_at__lt=end)
    ids = [r.id for r in resolved]
    with_ticket = set(await Ticket.filter(request_id__in=ids).values_list("request_id", flat=True))
    staged = set(await TicketEvent.filter(request_id__in=ids, kind=STAGE).values_list("request_id", flat=True))
    for request in resolved:
        for row in rows_of(request.area_id):
            if request.id in with_ticket:
                row.departments += 1
            elif request.id in staged:
                row.village += 1
            else:
                row.grid += 1
    for stage in await TicketEvent.filter(kind=STAGE, at__gte=start, at__lt=end).order_by("id"):
        matter = await Request.get_or_none(id=stage.request_id, merged_into_id=None)
        if matter is None or "due" not in stage.data:
            continue
        judged, on_time = await _same_day(matter, datetime.fromisoformat(stage.data["due"]), now)
        for row in rows_of(matter.area_id) if judged else ():
            row.same_day_judged += 1
            row.same_day += on_time
    return sorted(rows.values(), key=lambda r: (r.level != "township", r.name))


async def _same_day(request: Request, due: datetime, now: datetime) -> tuple[bool, bool]:
    """(judged, closed by the village in time) for one matter given to the village."""
    left = await TicketEvent.filter(request_id=request.id, kind__in=LEFT_STAGE).order_by("at", "id").first()
    closed = await TicketEvent.filter(request_id=request.id, kind="resolved").order_by("at", "id").first()
    if closed is not None and (left is None or closed.at < left.at):
        return True, closed.at <= due  # the village closed it itself
    if left is not None:
        return left.at > due, False  # taken from the village: its failure only once the day was over
    return now > due, False
