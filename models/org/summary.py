"""What one org load changed, per kind of record, for the CLI and the start-up log."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = (
    "areas",
    "departments",
    "households",
    "people",
    "roles",
    "posts",
    "care_pairs",
    "chats",
    "duty_slots",
    "party_members",
)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # roles and care pairs the file no longer lists


@dataclass
class LoadSummary:
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})

    def __getitem__(self, kind: str) -> Tally:
        return self.tallies[kind]

    @property
    def created(self) -> int:
        return sum(t.created for t in self.tallies.values())

    @property
    def updated(self) -> int:
        return sum(t.updated + t.removed for t in self.tallies.values())

    def lines(self) -> list[str]:
        rows = [f"{self.created} created, {self.updated} updated"]
        for kind, t in self.tallies.items():
            removed = f", {t.removed} removed" if t.removed else ""
            rows.append(f"  {kind:<12} {t.created} created, {t.updated} updated, {t.unchanged} unchanged{removed}")
        return rows

    def __str__(self) -> str:
        return "\n".join(self.lines())
