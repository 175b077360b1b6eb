"""The org file as plain data: what was read and validated, before anything touches the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models.org.where import Where

VILLAGE_KINDS = ("village", "farm", "community")
CHAT_CHANNELS = ("aibot", "appchat", "kf")


@dataclass(frozen=True)
class AreaSpec:
    code: str
    name: str
    level: str  # one of models.AREA_LEVELS
    parent: str | None  # the parent area's code; None for the county (a township's is filled in later)
    where: Where
    parent_key: str = ""  # the key that named the parent (`village`, `hamlet` …), for error messages
    kind: str = ""  # villages only: village | farm | community


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name: str
    short_names: tuple[str, ...]
    where: Where


@dataclass(frozen=True)
class RoleSpec:
    role: str
    area: str | None
    department: str | None
    where: Where
    key: str = "roles"  # where the role was written: a TOML key or a roster column
    value: str | None = None
    scope_key: str = "roles"  # where its area or department was written

    @property
    def scope(self) -> str:
        return (self.department if self.role == "liaison" else self.area) or ""


@dataclass(frozen=True)
class PostSpec:
    """A village post (职务) a person holds, by its code in config/village_posts.toml; held in the village
    of the person's role there."""

    post: str
    where: Where
    key: str = "posts"  # where it was written: a TOML key or a roster column
    value: str | None = None


@dataclass(frozen=True)
class PersonSpec:
    userid: str
    name: str
    mobile: str
    household: str | None
    roles: tuple[RoleSpec, ...]
    where: Where
    posts: tuple[PostSpec, ...] = ()


@dataclass(frozen=True)
class HouseholdSpec:
    code: str
    head: str
    grid: str
    address: str
    tags: tuple[str, ...]
    care_cadre: str | None
    where: Where


@dataclass(frozen=True)
class ChatSpec:
    chatid: str
    channel: str
    area: str
    name: str
    webhook_key: str
    where: Where


@dataclass(frozen=True)
class ShiftSpec:
    """One row of a duty roster sheet: a shift of a day in a township or village, its 带班 and 值班 (userids)."""

    day: date
    shift: str  # one of models.shifts.SHIFTS
    area: str
    lead: str
    duty: str
    where: Where


@dataclass
class OrgSpec:
    """Everything one load describes; several files add up to one OrgSpec."""

    areas: list[AreaSpec] = field(default_factory=list)
    departments: list[DepartmentSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    households: list[HouseholdSpec] = field(default_factory=list)
    chats: list[ChatSpec] = field(default_factory=list)
    shifts: list[ShiftSpec] = field(default_factory=list)
    village_tier: bool | None = None  # the [county] switch; None when no file of the load says

    def extend(self, other: OrgSpec) -> None:
        self.areas += other.areas
        self.departments += other.departments
        self.people += other.people
        self.households += other.households
        self.chats += other.chats
        self.shifts += other.shifts
        if other.village_tier is not None:
            self.village_tier = other.village_tier
