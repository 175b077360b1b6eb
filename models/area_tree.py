"""The area tree in memory for one piece of work: which village or township an area lies in.

Loaded whole (a county has a few thousand areas), so a ticker or a report asks it without a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.areas import Area


@dataclass(frozen=True)
class AreaTree:
    areas: dict[int, Area]

    @classmethod
    async def load(cls) -> AreaTree:
        return cls({area.id: area for area in await Area.all()})

    def get(self, area_id: int | None) -> Area | None:
        return self.areas.get(area_id) if area_id is not None else None

    def ancestor(self, area_id: int | None, level: str) -> Area | None:
        """The area itself or the nearest area above it at `level` (village, township …)."""
        area = self.get(area_id)
        while area is not None and area.level != level:
            area = self.get(area.parent_id)
        return area

    def village_of(self, area_id: int | None) -> Area | None:
        return self.ancestor(area_id, "village")

    def township_of(self, area_id: int | None) -> Area | None:
        return self.ancestor(area_id, "township")

    def hamlet_name(self, area_id: int | None) -> str:
        """The hamlet (屯) a grid lies in, else the village's name: how a villager would say where a house is."""
        place = self.ancestor(area_id, "hamlet") or self.village_of(area_id)
        return place.name if place else ""

    def within(self, area_id: int | None, root_id: int) -> bool:
        area = self.get(area_id)
        while area is not None:
            if area.id == root_id:
                return True
            area = self.get(area.parent_id)
        return False

    def villages_in(self, township_id: int) -> list[Area]:
        return sorted(
            (a for a in self.areas.values() if a.level == "village" and a.parent_id == township_id),
            key=lambda a: a.code,
        )
