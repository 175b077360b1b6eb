"""`gridwhistle config check` as an admin runs it: a real process on a folder of configuration files."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from config.policy import POLICY_FILE

SHIPPED_POLICY = POLICY_FILE.read_text(encoding="utf-8")


def check(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "config", "check", "--config", "gridwhistle.toml"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def county_folder(
    folder: Path, *, policy: str = SHIPPED_POLICY, years: range | None = None, routing: str | None = None
) -> Path:
    """A county's own settings, policy and calendar (and routing table, if given) in one folder."""
    # The command asks the clock for this year; a range around it stays right across a midnight.
    years = years if years is not None else range(date.today().year - 1, date.today().year + 3)
    (folder / "policy.toml").write_text(policy, encoding="utf-8")
    holidays = "".join(f"{year} = [{year}-10-01]\n" for year in years)
    (folder / "calendar.toml").write_text(f"[holidays]\n{holidays}", encoding="utf-8")
    settings = '[policy]\nfile = "policy.toml"\ncalendar = "calendar.toml"\n'
    if routing is not None:
        (folder / "routing.toml").write_text(routing, encoding="utf-8")
        settings += '[routing]\ntable = "routing.toml"\n'
    (folder / "gridwhistle.toml").write_text(settings, encoding="utf-8")
    return folder


def test_a_good_folder_passes(tmp_path: Path) -> None:
    result = check(county_folder(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "config check: 12 files, 0 errors, 0 warnings"
    for name in (
        "gridwhistle.toml (settings)",
        "policy.toml (policy)",
        "calendar.toml (calendar",
        "config/routing (routing table",
        "config/demo/county.toml (org file",
        "config/commands.toml",
        "config/replies.toml",
        "config/role_names.toml",
        "config/department_names.toml",
        "config/village_posts.toml (village posts: 5 organisations, 8 posts, 8 rated in stars)",
        "config/skills.toml (skills: ",
        "config/help.toml",
    ):
        assert any(line.startswith(f"ok: {name}") for line in lines), (name, lines)
    assert "Traceback" not in result.stderr


def test_a_broken_folder_names_each_problem_and_exits_2(tmp_path: Path) -> None:
    policy = SHIPPED_POLICY.replace("confirm_timeout_minutes = 120", 'confirm_timeout_minutes = "2h"')
    county_folder(tmp_path, policy=policy, routing="[departments]\nnowhere = 1\n")
    (tmp_path / "calendar.toml").write_text("[holidays]\n2026 = [2027-01-01]\n", encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    out = result.stdout
    assert "error: policy.toml: [whistle] confirm_timeout_minutes: should be a whole number, not '2h'" in out
    assert "error: calendar.toml: [holidays] 2026: 2027-01-01 is not in 2026" in out
    assert "error: routing.toml:2: departments.nowhere: unknown department code 'nowhere'" in out
    assert "ok: config/replies.toml" in out  # the others are still checked
    assert out.splitlines()[-1] == "config check: 12 files, 3 errors, 0 warnings"
    assert "Traceback" not in result.stderr


def test_an_unknown_role_in_the_policy_is_an_error(tmp_path: Path) -> None:
    policy = SHIPPED_POLICY.replace(
        'township_stats_roles = ["township_committee"]', 'township_stats_roles = ["township_comittee"]'
    )
    result = check(county_folder(tmp_path, policy=policy))
    assert result.returncode == 2
    assert "error: policy.toml: [tasks] township_stats_roles: unknown role 'township_comittee'" in result.stdout


def test_a_calendar_without_this_or_next_year_only_warns(tmp_path: Path) -> None:
    this_year = date.today().year
    result = check(county_folder(tmp_path, years=range(2000, 2001)))
    assert result.returncode == 0, result.stdout
    assert f"warning: calendar.toml: [holidays] {this_year + 1}: no holidays" in result.stdout
    assert result.stdout.splitlines()[-1] == "config check: 12 files, 0 errors, 2 warnings"


def test_bad_settings_are_named_and_the_files_they_name_are_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "gridwhistle.toml").write_text('[policy]\nfiel = "policy.toml"\n', encoding="utf-8")
    result = check(tmp_path)
    assert result.returncode == 2
    assert "error: gridwhistle.toml: [policy] fiel: unknown key" in result.stdout
    assert "warning: gridwhistle.toml: the files the settings name were not checked" in result.stdout
    assert "ok: config/commands.toml" in result.stdout
