"""A configuration mistake names the key and the fix, through the real CLI: exit code 2, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import load_settings

GOOD_AES_KEY = "A" * 43


def gridwhistle(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script, with no GRIDWHISTLE_* settings leaking in from outside."""
    script = shutil.which("gridwhistle", path=str(Path(sys.executable).parent)) or shutil.which("gridwhistle")
    assert script, "the gridwhistle console script is not installed: pip install -e '.[test]'"
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("GRIDWHISTLE_")}
    return subprocess.run(
        [script, *args], cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("toml", "key", "hint"),
    [
        ('[wecom.app]\nencoding_aes_key = "tooshort"\n', "[wecom.app] encoding_aes_key", "43"),
        ('[wecom.aibot]\nencoding_aes_key = "' + "B" * 44 + '"\n', "[wecom.aibot] encoding_aes_key", "43"),
        ('[database]\nurl = "mysql://root@localhost/gw"\n', "[database] url", "unknown database scheme"),
        ("[server]\nport = 70000\n", "[server] port", "65535"),
        ("[server]\nport = 0\n", "[server] port", "greater than or equal to 1"),
        ('[server]\nhots = "0.0.0.0"\n', "[server] hots", "unknown key"),
        ('[wecom]\napi_base = "qyapi"\n', "[wecom] api_base", "http"),
    ],
    ids=["aes-short", "aes-long", "db-scheme", "port-high", "port-zero", "unknown-key", "api-base"],
)
def test_a_bad_value_names_its_key(tmp_path: Path, toml: str, key: str, hint: str) -> None:
    (tmp_path / "bad.toml").write_text(toml, encoding="utf-8")
    result = gridwhistle("db", "upgrade", "--config", "bad.toml", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert key in result.stderr and hint in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was started on a bad configuration


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text('[server]\nport = 8080\n[database\nurl = "sqlite://x"\n', encoding="utf-8")
    result = gridwhistle("db", "upgrade", "--config", "broken.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "broken.toml" in result.stderr and "line 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    result = gridwhistle("db", "upgrade", "--config", "nowhere.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "nowhere.toml" in result.stderr and "Traceback" not in result.stderr


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    # The file's database URL is wrong; the environment's is used, so the upgrade succeeds there.
    (tmp_path / "gw.toml").write_text('[database]\nurl = "mysql://nowhere/gw"\n', encoding="utf-8")
    target = tmp_path / "from-env.sqlite3"
    result = gridwhistle(
        "db", "upgrade", "--config", "gw.toml", cwd=tmp_path, env={"GRIDWHISTLE_DATABASE__URL": f"sqlite://{target}"}
    )
    assert result.returncode == 0, result.stderr
    assert target.is_file()


def test_a_bad_environment_value_is_blamed_on_the_variable(tmp_path: Path) -> None:
    (tmp_path / "gw.toml").write_text("[server]\nport = 8080\n", encoding="utf-8")
    result = gridwhistle("db", "upgrade", "--config", "gw.toml", cwd=tmp_path, env={"GRIDWHISTLE_SERVER__PORT": "80a"})
    assert result.returncode == 2
    assert "[server] port" in result.stderr and "environment variable GRIDWHISTLE_SERVER__PORT" in result.stderr


def test_environment_wins_over_the_file_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gw.toml"
    path.write_text("[server]\nport = 8080\n[wecom.app]\nagent_id = 1000002\n", encoding="utf-8")
    monkeypatch.setenv("GRIDWHISTLE_SERVER__PORT", "9090")
    monkeypatch.setenv("GRIDWHISTLE_WECOM__APP__ENCODING_AES_KEY", GOOD_AES_KEY)
    settings = load_settings(path)
    assert settings.server.port == 9090
    assert settings.wecom.app.encoding_aes_key == GOOD_AES_KEY
    assert settings.wecom.app.agent_id == 1000002


def test_load_settings_raises_config_error_not_validation_error(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text("[server]\nport = 65536\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[server\] port"):
        load_settings(path)
