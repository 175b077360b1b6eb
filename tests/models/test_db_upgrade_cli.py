"""`gridwhistle db upgrade` through the real console script: an empty database gets the whole
schema, and a second run is a no-op (on PostgreSQL when the suite runs with GRIDWHISTLE_TEST_DB=postgres)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import models.migrations

# Every migration file in the package, in order (other features add theirs).
MIGRATIONS = sorted(
    f"models.{path.stem}" for path in Path(models.migrations.__file__).parent.glob("[0-9][0-9][0-9][0-9]_*.py")
)


def gridwhistle(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = shutil.which("gridwhistle", path=str(Path(sys.executable).parent)) or shutil.which("gridwhistle")
    assert script, "the gridwhistle console script is not installed: pip install -e '.[test]'"
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    return subprocess.run([script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def upgrade_twice(url: str, cwd: Path) -> tuple[str, str]:
    (cwd / "gw.toml").write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    outputs = []
    for _ in range(2):
        result = gridwhistle("db", "upgrade", "--config", "gw.toml", cwd=cwd)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.strip())
    return outputs[0], outputs[1]


def test_upgrade_twice_is_a_no_op(empty_database_url: str, tmp_path: Path) -> None:
    first, second = upgrade_twice(empty_database_url, tmp_path)
    assert MIGRATIONS[:2] == ["models.0001_initial", "models.0002_constraints"]
    assert first.splitlines() == [f"applied {name}" for name in MIGRATIONS]
    assert second == "up to date"


def test_a_relative_sqlite_path_is_created_on_a_fresh_checkout(tmp_path: Path) -> None:
    first, second = upgrade_twice("sqlite://data/gridwhistle.sqlite3", tmp_path)
    assert first.splitlines() == [f"applied {name}" for name in MIGRATIONS]
    assert second == "up to date"
    assert (tmp_path / "data" / "gridwhistle.sqlite3").is_file()
