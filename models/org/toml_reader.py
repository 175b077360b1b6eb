"""Read one org TOML file into an OrgSpec, checking keys and value shapes (references are checked later).

Each mistake is reported at the line of the table or key that holds it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.org import values
from models.org.problems import Problems
from models.org.spec import (
    CHAT_CHANNELS,
    VILLAGE_KINDS,
    AreaSpec,
    ChatSpec,
    DepartmentSpec,
    HouseholdSpec,
    OrgSpec,
    PersonSpec,
    PostSpec,
    RoleSpec,
)
from models.org.where import TomlWhere

TOP_KEYS = (
    "county",
    "townships",
    "villages",
    "hamlets",
    "grids",
    "departments",
    "people",
    "households",
    "chats",
    "rosters",
)


@dataclass(frozen=True)
class TomlFile:
    spec: OrgSpec
    county: str | None  # the [county] code, if the file has one
    rosters: dict[str, list[Path]]  # "people" / "households" → files, relative paths resolved


class _Table:
    """One TOML table: typed access to its keys, each mistake recorded with its line."""

    def __init__(self, data: dict[str, Any], where: TomlWhere, problems: Problems, allowed: tuple[str, ...]):
        self.data, self.where, self.problems = data, where, problems
        for key in data:
            if key not in allowed:
                problems.add(where, key, f"unknown key; allowed here: {', '.join(allowed)}")

    def text(self, key: str, required: bool = False, check: Callable[[str], str] | None = None) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.add(self.where, None, f"{key} is missing")
            return ""
        if not isinstance(value, str):
            self.problems.add(self.where, key, f"must be a string, not {value!r}")
            return ""
        value = value.strip()
        if required and not value:
            self.problems.add(self.where, key, "must not be empty")
        if value and check is not None:
            try:
                return check(value)
            except ValueError as exc:
                self.problems.add(self.where, key, str(exc))
                return ""  # reported once here; later checks skip empty values
        return value

    def flag(self, key: str) -> bool:
        value = self.data.get(key, False)
        if not isinstance(value, bool):
            self.problems.add(self.where, key, f"must be true or false, not {value!r}")
            return False
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problems.add(self.where, key, 'must be a list of strings, e.g. ["a", "b"]')
            return ()
        return tuple(item.strip() for item in value if item.strip())


def read_toml(path: Path, problems: Problems) -> TomlFile:
    empty = TomlFile(OrgSpec(), None, {})
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.add(str(path), None, f"cannot read the org file: {exc.strerror or exc}")
        return empty
    except UnicodeDecodeError:
        problems.add(str(path), None, "not UTF-8 text; save the org file as UTF-8")
        return empty
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.add(str(path), None, f"TOML syntax error: {exc}")
        return empty
    return _Reader(path, text, problems).read(data)


class _Reader:
    def __init__(self, path: Path, text: str, problems: Problems) -> None:
        self.path, self.text, self.problems = path, text, problems

    def where(self, *path: str | int) -> TomlWhere:
        return TomlWhere(self.path, tuple(path), self.text)

    def tables(self, data: dict[str, Any], section: str, allowed: tuple[str, ...]) -> list[_Table]:
        entries = data.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            self.problems.add(self.where(), section, f"must be an array of tables: write [[{section}]]")
            return []
        return [
            _Table(entry, self.where(section, index), self.problems, allowed) for index, entry in enumerate(entries)
        ]

    def read(self, data: dict[str, Any]) -> TomlFile:
        for key in data:
            if key not in TOP_KEYS:
                self.problems.add(self.where(key), None, f"unknown section [{key}]; allowed: {', '.join(TOP_KEYS)}")
        spec = OrgSpec()
        county = self.county(data, spec)
        self.areas(data, spec)
        spec.departments = [
            DepartmentSpec(t.text("code", True, values.code), t.text("name", True), t.texts("short_names"), t.where)
            for t in self.tables(data, "departments", ("code", "name", "short_names"))
        ]
        spec.people = [
            self.person(t, index)
            for index, t in enumerate(
                self.tables(data, "people", ("userid", "name", "mobile", "household", "roles", "posts"))
            )
        ]
        spec.households = [
            HouseholdSpec(
                t.text("code", True, values.code),
                t.text("head", True),
                t.text("grid", True),
                t.text("address"),
                t.texts("tags"),
                t.text("care_cadre") or None,
                t.where,
            )
            for t in self.tables(data, "households", ("code", "head", "grid", "address", "tags", "care_cadre"))
        ]
        spec.chats = [
            ChatSpec(
                t.text("chatid", True),
                t.text("channel", True, _channel),
                t.text("area", True),
                t.text("name"),
                t.text("webhook_key"),
                t.where,
            )
            for t in self.tables(data, "chats", ("chatid", "channel", "area", "name", "webhook_key"))
        ]
        return TomlFile(spec, county, self.rosters(data))

    def county(self, data: dict[str, Any], spec: OrgSpec) -> str | None:
        if "county" not in data:
            return None
        if not isinstance(data["county"], dict):
            self.problems.add(self.where("county"), None, "must be a table: write [county]")
            return None
        table = _Table(data["county"], self.where("county"), self.problems, ("code", "name", "village_tier"))
        code = table.text("code", True, values.code)
        spec.village_tier = table.flag("village_tier")
        spec.areas.append(AreaSpec(code, table.text("name", True), "county", None, table.where))
        return code

    def areas(self, data: dict[str, Any], spec: OrgSpec) -> None:
        for t in self.tables(data, "townships", ("code", "name")):
            # The parent is the load's county, filled in once every file is read.
            spec.areas.append(
                AreaSpec(t.text("code", True, values.code), t.text("name", True), "township", None, t.where)
            )
        for t in self.tables(data, "villages", ("code", "name", "township", "kind")):
            spec.areas.append(
                AreaSpec(
                    t.text("code", True, values.code),
                    t.text("name", True),
                    "village",
                    t.text("township", True),
                    t.where,
                    "township",
                    t.text("kind", check=_kind),
                )
            )
        for t in self.tables(data, "hamlets", ("code", "name", "village")):
            spec.areas.append(
                AreaSpec(
                    t.text("code", True, values.code),
                    t.text("name", True),
                    "hamlet",
                    t.text("village", True),
                    t.where,
                    "village",
                )
            )
        for t in self.tables(data, "grids", ("code", "name", "hamlet", "village")):
            hamlet, village = t.text("hamlet"), t.text("village")
            if bool(hamlet) == bool(village):
                self.problems.add(t.where, None, "a grid names exactly one of `hamlet` or `village`")
            spec.areas.append(
                AreaSpec(
                    t.text("code", True, values.code),
                    t.text("name", True),
                    "grid",
                    hamlet or village,
                    t.where,
                    "hamlet" if hamlet else "village",
                )
            )

    def person(self, t: _Table, index: int) -> PersonSpec:
        roles: list[RoleSpec] = []
        raw = t.data.get("roles", [])
        if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
            self.problems.add(t.where, "roles", 'must be a list like [{ role = "grid_member", area = "…" }]')
            raw = []
        for item in raw:
            entry = _Table(item, self.where("people", index, "roles"), self.problems, ("role", "area", "department"))
            role = entry.text("role", True, values.role)
            where_value = item.get("role") if isinstance(item.get("role"), str) else None
            roles.append(
                RoleSpec(
                    role, entry.text("area") or None, entry.text("department") or None, t.where, "roles", where_value
                )
            )
        posts: list[PostSpec] = []
        for name in t.texts("posts"):
            try:
                posts.append(PostSpec(values.post(name), t.where, "posts", name))
            except ValueError as exc:
                self.problems.add(t.where, "posts", str(exc))
        return PersonSpec(
            t.text("userid", True, values.userid),
            t.text("name", True),
            t.text("mobile", check=values.mobile),
            t.text("household") or None,
            tuple(roles),
            t.where,
            tuple(posts),
        )

    def rosters(self, data: dict[str, Any]) -> dict[str, list[Path]]:
        raw = data.get("rosters", {})
        if not isinstance(raw, dict):
            self.problems.add(self.where("rosters"), None, "must be a table: write [rosters]")
            return {}
        table = _Table(raw, self.where("rosters"), self.problems, ("people", "households", "shifts"))
        found: dict[str, list[Path]] = {}
        for kind in ("people", "households", "shifts"):
            names = [raw[kind]] if isinstance(raw.get(kind), str) else list(table.texts(kind))
            found[kind] = [self.path.parent / name for name in names]
        return found


def _channel(value: str) -> str:
    if value not in CHAT_CHANNELS:
        raise ValueError(f"unknown channel {value!r}; use one of {', '.join(CHAT_CHANNELS)}")
    return value


def _kind(value: str) -> str:
    if value not in VILLAGE_KINDS:
        raise ValueError(f"unknown kind {value!r}; use one of {', '.join(VILLAGE_KINDS)}")
    return value
