"""Read org files (TOML plus the rosters they name) into one validated OrgSpec, or raise one error
listing every mistake. Nothing here touches the database."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from models.org.problems import Problems
from models.org.rosters import read_households, read_members, read_people, read_shifts
from models.org.spec import AreaSpec, OrgSpec
from models.org.toml_reader import read_toml
from models.org.validate import validate


def read_org(paths: Iterable[str | Path]) -> OrgSpec:
    """All files of one load add up to one county; references may cross files but not leave the load."""
    problems = Problems()
    spec = OrgSpec()
    counties: list[str] = []
    for path in map(Path, paths):
        toml = read_toml(path, problems)
        spec.extend(toml.spec)
        if toml.county:
            counties.append(toml.county)
        for roster in toml.rosters.get("people", []):
            spec.people += read_people(roster, problems)
        for roster in toml.rosters.get("households", []):
            spec.households += read_households(roster, problems)
        for roster in toml.rosters.get("shifts", []):
            spec.shifts += read_shifts(roster, problems)
        for roster in toml.rosters.get("members", []):
            spec.members += read_members(roster, problems)
    _attach_townships(spec, counties, problems)
    validate(spec, problems)
    problems.raise_if_any()
    return spec


def _attach_townships(spec: OrgSpec, counties: list[str], problems: Problems) -> None:
    """Townships belong to the load's one [county]."""
    distinct = sorted(set(counties))
    townships = [area for area in spec.areas if area.level == "township"]
    if len(distinct) > 1:
        first = next(area for area in spec.areas if area.level == "county" and area.code != distinct[0])
        problems.add(first.where, "code", f"one load describes one county, found {', '.join(distinct)}")
    if townships and not distinct:
        problems.add(townships[0].where, None, "townships need a [county] table in the files of this load")
    if len(distinct) != 1:
        return
    spec.areas = [
        AreaSpec(a.code, a.name, a.level, distinct[0], a.where, "county", a.kind) if a.level == "township" else a
        for a in spec.areas
    ]
