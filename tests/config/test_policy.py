"""The policy as a typed model: the shipped file passes, each kind of mistake is named, a county's own file is used."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.calendar import QuietHours
from bot.clock import SHANGHAI, ManualClock
from bot.keys import CALENDAR, POLICY, SERVICES
from config.errors import ConfigError
from config.policy import POLICY_FILE, Policy, load_policy
from config.settings import load_settings
from config.texts import read_toml
from models import OutboxMessage

SHIPPED = POLICY_FILE.read_text(encoding="utf-8")


def write(folder: Path, text: str, name: str = "policy.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_a_valid_policy() -> None:
    policy = load_policy()
    assert policy.quiet_hours.start == time(21, 0) and policy.quiet_hours.end == time(7, 30)
    assert policy.whistle.confirm_timeout == timedelta(minutes=120)
    assert policy.visits.frequency["独居老人"].in_season(winter=True) == "week"
    assert policy.visits.frequency["五保"].in_season(winter=False) == "fortnight"


def test_the_defaults_are_the_shipped_values() -> None:
    # Only the words (visit frequencies, promises) have no default; everything else equals the file.
    shipped = read_toml(POLICY_FILE)
    words_only = {
        "visits": {"frequency": shipped["visits"]["frequency"]},
        "requests": {"promise": shipped["requests"]["promise"]},
    }
    assert Policy.model_validate(words_only) == load_policy()


def test_a_deadline_counts_working_days_on_the_calendar_it_is_given() -> None:
    class EveryDayWorks:
        def add_working_days(self, start: datetime, days: int) -> datetime:
            return start + timedelta(days=days)

    deadlines = load_policy().whistle.deadlines
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=SHANGHAI)
    assert deadlines.of("normal").respond.after(friday, EveryDayWorks()) == friday + timedelta(days=1)
    assert deadlines.of("urgent").respond.after(friday, EveryDayWorks()) == friday + timedelta(minutes=30)
    assert deadlines.of("normal").respond.lead == timedelta(days=1)
    assert deadlines.of("anything else") == deadlines.normal


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("[quiet_hours]", "[quite_hours]", "[quite_hours]: unknown section; did you mean quiet_hours?"),
        (
            "confirm_timeout_minutes = 120",
            "confirm_timeout_minuts = 120",
            "[whistle] confirm_timeout_minuts: unknown key; did you mean confirm_timeout_minutes?",
        ),
        (
            "confirm_timeout_minutes = 120",
            'confirm_timeout_minutes = "2h"',
            "[whistle] confirm_timeout_minutes: should be a whole number, not '2h'",
        ),
        ('start = "21:00"', 'start = "21:70"', "[quiet_hours] start: should be a time like \"21:00\", not '21:70'"),
        ('digest_time = "08:00"', "digest_time = 8", '[whistle] digest_time: should be a time like "21:00", not 8'),
        ("resolve = { days = 7 }", "resolve = { day = 7 }", "[whistle.deadlines.normal] resolve: give one of minutes"),
        ('"五保" = "fortnight"', '"五保" = "fortnightly"', "[visits.frequency] 五保: should be week, fortnight, month"),
        ('at_once = ["urgent"]', 'at_once = ["urgnet"]', "[whistle] at_once (item 1): should be 'normal' or 'urgent'"),
        ('kickoff = "01-05"', 'kickoff = "02-30"', "[tasks] kickoff: '02-30' is not a day of every year"),
        (
            'tick_hours = "9,13,17" # when the reminder',
            'tick_hours = "9,25" # when the reminder',
            "[tasks] tick_hours: should be a cron hour field",
        ),
        ("quota_min = 2", "quota_min = 4", "[tasks]: quota_min (4) is more than quota_max (3)"),
        (
            "duplicate_text_overlap = 0.3",
            "duplicate_text_overlap = 1.3",
            "[requests] duplicate_text_overlap: should be less than or equal to 1, not 1.3",
        ),
        ('village = "当天"\n', "", "[requests.promise] village: missing"),
        (
            'scorer_roles = ["township_committee"]',
            'scorer_roles = "township_committee"',
            "[index] scorer_roles: should be a list",
        ),
        ('county_roles = ["county_admin", "admin"]', 'county_role = ["admin"]', "[index] county_role: unknown key"),
    ],
    ids=[
        "unknown-section",
        "unknown-key",
        "wrong-type",
        "bad-time",
        "time-not-text",
        "bad-deadline",
        "bad-frequency",
        "bad-urgency",
        "bad-day",
        "bad-cron-hours",
        "quota-order",
        "out-of-range",
        "missing-words",
        "index-roles-not-a-list",
        "index-unknown-key",
    ],
)
def test_each_mistake_is_named_with_its_file_section_and_key(tmp_path: Path, old: str, new: str, named: str) -> None:
    assert SHIPPED.count(old) == 1, old
    path = write(tmp_path, SHIPPED.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert f"{path}: {named}" in str(caught.value)


def test_every_mistake_is_named_at_once(tmp_path: Path) -> None:
    text = SHIPPED.replace('end = "07:30"', 'end = "7.30"').replace("send_hour = 9  ", 'send_hour = "9"', 1)
    text = text.replace("burst_seconds = 120", "burst_second = 120")
    with pytest.raises(ConfigError) as caught:
        load_policy(write(tmp_path, text))
    lines = str(caught.value).splitlines()
    assert len(lines) == 3, lines
    assert [line.split(": ")[1] for line in lines] == [
        "[quiet_hours] end",
        "[tasks] send_hour",
        "[requests] burst_second",
    ]


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("[whistle]", "[whistle"))
    with pytest.raises(ConfigError, match=r"policy\.toml: .*line \d+"):
        load_policy(path)


def test_a_settings_file_names_its_own_policy_and_calendar(tmp_path: Path) -> None:
    write(tmp_path, SHIPPED.replace('start = "21:00"', 'start = "22:30"'), "county-policy.toml")
    write(tmp_path, "[holidays]\n2026 = [2026-10-01]\n", "county-calendar.toml")
    settings_file = write(
        tmp_path, '[policy]\nfile = "county-policy.toml"\ncalendar = "county-calendar.toml"\n', "gridwhistle.toml"
    )
    settings = load_settings(settings_file)
    assert settings.policy.file == tmp_path / "county-policy.toml"  # relative to the settings file
    assert load_settings().policy.file == POLICY_FILE
    app = create_app(settings)
    assert app[POLICY].quiet_hours.start == time(22, 30)
    quiet = QuietHours.from_policy(app[POLICY].quiet_hours)
    assert not quiet.is_quiet(datetime(2026, 11, 16, 22, 0, tzinfo=SHANGHAI))  # 21:00 in the shipped file
    assert app[CALENDAR].calendar.holidays == frozenset({datetime(2026, 10, 1).date()})


async def test_the_service_keeps_the_quiet_hours_of_the_countys_own_policy(
    tmp_path: Path, database_url: str, clock: ManualClock
) -> None:
    write(tmp_path, SHIPPED.replace('start = "21:00"', 'start = "23:00"').replace('end = "07:30"', 'end = "06:00"'))
    path = write(tmp_path, f'[database]\nurl = "{database_url}"\n[policy]\nfile = "policy.toml"\n', "gridwhistle.toml")
    app = create_app(load_settings(path), clock=clock, migrate=False, load_org=False, background=False)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        services = app[SERVICES]
        clock.advance(hours=13)  # Monday 22:00: quiet in the shipped policy, not in this county's
        assert await services.reach.person("wangjun", text="a", dedupe_key="a")
        clock.advance(hours=1, minutes=30)  # 23:30
        assert await services.reach.person("wangjun", text="b", dedupe_key="b")
        rows = {row.dedupe_key: row.not_before async for row in OutboxMessage.filter(dedupe_key__in=["a", "b"])}
    finally:
        await runner.cleanup()
    monday = datetime(2026, 11, 16, tzinfo=SHANGHAI)
    assert rows == {"a": monday + timedelta(hours=22), "b": monday + timedelta(days=1, hours=6)}


def test_a_bad_policy_stops_the_start_with_its_name(tmp_path: Path) -> None:
    write(tmp_path, SHIPPED.replace("joint_chat_min_departments = 3", "joint_chat_min_departments = 0"))
    write(tmp_path, '[policy]\nfile = "policy.toml"\n[database]\nurl = "sqlite://gw.sqlite3"\n', "gw.toml")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--config", "gw.toml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "policy.toml: [whistle] joint_chat_min_departments: should be greater than or equal to 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "gw.sqlite3").exists()  # nothing was started


def test_index_roles_left_out_take_the_tasks_lists_the_index_read_before(tmp_path: Path) -> None:
    own = SHIPPED.replace('township_stats_roles = ["township_committee"]', 'township_stats_roles = ["township_head"]')
    start = own.index("[index]")
    end = own.index("\n[", start + 1) if "\n[" in own[start + 1 :] else len(own)
    policy = load_policy(write(tmp_path, own[:start] + own[end:]))
    assert policy.index.scorer_roles == ("township_head",)
    assert policy.index.reader_roles == policy.tasks.cadre_roles
    assert policy.index.county_roles == ("county_admin", "admin")
    written = load_policy(write(tmp_path, own.replace('scorer_roles = ["township_committee"]', 'scorer_roles = ["x"]')))
    assert written.index.scorer_roles == ("x",) and written.tasks.township_stats_roles == ("township_head",)
