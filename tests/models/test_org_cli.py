"""`gridwhistle org load` and `org show` through the real console script."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from config.settings import DEMO_ORG_FILE
from models.locks import lock_key
from models.org import ORG_LOCK


def gridwhistle(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = shutil.which("gridwhistle", path=str(Path(sys.executable).parent)) or shutil.which("gridwhistle")
    assert script, "the gridwhistle console script is not installed: pip install -e '.[test]'"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    return subprocess.run([script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_load_applies_migrations_then_is_idempotent(empty_database_url: str, tmp_path: Path) -> None:
    (tmp_path / "gw.toml").write_text(f'[database]\nurl = "{empty_database_url}"\n', encoding="utf-8")

    first = gridwhistle("org", "load", "--config", "gw.toml", cwd=tmp_path)  # default: the demo county
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied models.0001_initial\n")
    assert f"loaded {DEMO_ORG_FILE}\n377 created, 0 updated\n" in first.stdout
    assert "  posts        11 created, 0 updated, 0 unchanged" in first.stdout.splitlines()

    second = gridwhistle("org", "load", str(DEMO_ORG_FILE), "--config", "gw.toml", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[:2] == [f"loaded {DEMO_ORG_FILE}", "0 created, 0 updated"]
    assert "  households   0 created, 0 updated, 40 unchanged" in second.stdout.splitlines()

    show = gridwhistle("org", "show", "--config", "gw.toml", cwd=tmp_path)
    assert show.returncode == 0, show.stderr
    assert show.stdout.splitlines()[0] == "areas        county 1, township 3, village 5, hamlet 6, grid 13"
    assert "households   40 (20 tagged, 20 paired with a cadre)" in show.stdout
    assert (
        "posts        村党组织书记 5, 村委会主任 1, 村党组织副书记 1, 民兵连长 1, 团支部书记 1, 妇联主席 1, 村报账员 1"
        in show.stdout
    )


def test_a_bad_file_prints_every_error_and_exits_1(config_file: Path, tmp_path: Path) -> None:
    org = tmp_path / "county.toml"
    org.write_text(
        '[county]\ncode = "longjiang"\nname = "龙江县"\nmayor = "x"\n\n[[people]]\nuserid = "a"\n'
        'name = "甲"\nmobile = "123"\n',
        encoding="utf-8",
    )

    result = gridwhistle("org", "load", str(org), "--config", str(config_file), cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "gridwhistle org load: org file not loaded, nothing written: 2 errors",
        f"  {org}:4: mayor: unknown key; allowed here: code, name, village_tier",
        f"  {org}:9: mobile: '123' is not a mobile number: 11 digits starting with 1, e.g. 13800000001",
    ]
    assert "Traceback" not in result.stderr
    show = gridwhistle("org", "show", "--config", str(config_file), cwd=tmp_path)
    assert "people       0" in show.stdout.splitlines()


def test_a_missing_file_is_an_error_not_a_traceback(config_file: Path, tmp_path: Path) -> None:
    result = gridwhistle("org", "load", "nope.toml", "--config", str(config_file), cwd=tmp_path)
    assert result.returncode == 1
    assert "nope.toml: cannot read the org file: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr


async def test_processes_loading_at_once_take_turns(
    config_file: Path, database_url: str, tmp_path: Path, test_db_backend: str
) -> None:
    """Every process loads the org file at start; on PostgreSQL they queue on the org advisory lock."""
    if test_db_backend != "postgres":
        pytest.skip("one process on SQLite (README, Database); the advisory lock is PostgreSQL's")
    script = shutil.which("gridwhistle", path=str(Path(sys.executable).parent)) or shutil.which("gridwhistle")
    assert script
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    holder = await asyncpg.connect(database_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", lock_key(ORG_LOCK))
        runs = [
            await asyncio.create_subprocess_exec(
                script,
                "org",
                "load",
                "--config",
                str(config_file),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(3)
        ]
        # All three reach the write and wait for the lock: none may write while another holds it.
        async with asyncio.timeout(60):
            while await holder.fetchval(WAITING_FOR_ADVISORY_LOCK) < 3:
                await asyncio.sleep(0.05)
        await holder.execute("SELECT pg_advisory_unlock($1)", lock_key(ORG_LOCK))
        outputs = [await run.communicate() for run in runs]
    finally:
        await holder.close()
    assert [run.returncode for run in runs] == [0, 0, 0], [err.decode() for _, err in outputs]
    firsts = sorted(out.decode().splitlines()[1] for out, _ in outputs)
    assert firsts == ["0 created, 0 updated", "0 created, 0 updated", "377 created, 0 updated"]


WAITING_FOR_ADVISORY_LOCK = """
    SELECT count(*) FROM pg_locks
    WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
