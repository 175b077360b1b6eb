"""The examples in deploy/ are checked: the systemd units by `systemd-analyze verify`, the nginx site by
`nginx -t` (each skipped, with the reason, where the tool is absent), the Containerfile by reading its
instructions (it is not built here), and the example settings by loading them as the service would."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = ["gridwhistle.service", "gridwhistle-backup.service", "gridwhistle-backup.timer"]
INSTALLED_SCRIPT = "/opt/gridwhistle/venv/bin/gridwhistle"


def _console_script() -> str:
    script = shutil.which("gridwhistle", path=str(Path(sys.executable).parent)) or shutil.which("gridwhistle")
    assert script, "the gridwhistle console script is not installed: pip install -e '.[test]'"
    return script


# -- systemd ---------------------------------------------------------------------------------------------


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine; the units are checked where it is")
    for name in UNITS:
        # The documented install path does not exist here; the verifier checks ExecStart is executable.
        text = (DEPLOY / name).read_text(encoding="utf-8").replace(INSTALLED_SCRIPT, _console_script())
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / name) for name in UNITS)], capture_output=True, text=True, timeout=60
    )
    # Unknown keys are only warnings (exit 0): any complaint about our own files fails the test.
    ours = [line for line in result.stderr.splitlines() if any(name in line for name in UNITS)]
    assert result.returncode == 0 and not ours, result.stderr


def test_systemd_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    """The check above is not blind: a misspelt key in the service is reported."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    text = (DEPLOY / "gridwhistle.service").read_text(encoding="utf-8").replace(INSTALLED_SCRIPT, _console_script())
    path = tmp_path / "gridwhistle.service"
    path.write_text(text.replace("Restart=on-failure", "Restrat=on-failure"), encoding="utf-8")
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert "Restrat" in result.stderr


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = ""
    for raw in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = {}
            continue
        key, _, value = line.partition("=")
        sections[current].setdefault(key, []).append(value)
    return sections


def test_the_service_runs_as_its_own_user_with_secrets_outside_the_code() -> None:
    service = _unit("gridwhistle.service")["Service"]
    assert service["User"] == ["gridwhistle"]
    assert service["EnvironmentFile"] == ["-/etc/gridwhistle/gridwhistle.env"]
    assert "--config /etc/gridwhistle/gridwhistle.toml" in service["ExecStart"][0]
    assert "time-sync.target" in _unit("gridwhistle.service")["Unit"]["After"][0]
    # No secret in the unit itself: every Environment= line is harmless.
    assert all("SECRET" not in value and "TOKEN" not in value for value in service.get("Environment", []))


# -- nginx -----------------------------------------------------------------------------------------------


def _nginx_locations() -> dict[str, str]:
    text = (DEPLOY / "nginx-gridwhistle.conf").read_text(encoding="utf-8")
    text = re.sub(r"#[^\n]*", "", text)
    return {m.group(1): m.group(2) for m in re.finditer(r"location\s+(?:=\s*)?(\S+)\s*\{([^}]*)\}", text)}


def test_nginx_site_proxies_only_the_callbacks_and_hides_metrics_and_healthz() -> None:
    locations = _nginx_locations()
    proxied = sorted(path for path, body in locations.items() if "proxy_pass" in body)
    assert proxied == ["/wecom/aibot", "/wecom/app"]
    for private in ("/metrics", "/healthz"):
        assert "return 404" in locations[private]
    text = (DEPLOY / "nginx-gridwhistle.conf").read_text(encoding="utf-8")
    assert "listen 443 ssl http2;" in text and "ssl_certificate_key" in text


def test_nginx_t_accepts_the_site(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/nginx/sbin/nginx") if Path(p).is_file()), None
    )
    if nginx is None:
        pytest.skip("nginx is not installed on this machine; `nginx -t` runs where it is")
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed, so no test certificate can be made for `nginx -t`")
    crt, key = tmp_path / "gw.crt", tmp_path / "gw.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx-gridwhistle.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/nginx/tls/gridwhistle.crt", str(crt)).replace("/etc/nginx/tls/gridwhistle.key", str(key))
    site = site.replace("listen 80;", "listen 127.0.0.1:18080;").replace(
        "listen 443 ssl http2;", "listen 127.0.0.1:18443 ssl http2;"
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# -- Containerfile ---------------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """The Containerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
    return result


KNOWN = {"FROM", "RUN", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR", "EXPOSE", "VOLUME", "HEALTHCHECK",
         "ENTRYPOINT", "CMD", "LABEL", "STOPSIGNAL", "SHELL", "ONBUILD"}  # fmt: skip


def test_containerfile_instructions() -> None:
    instructions = _instructions()
    keywords = [keyword for keyword, _ in instructions]
    assert set(keywords) <= KNOWN, set(keywords) - KNOWN
    assert keywords[0] == "FROM" and instructions[0][1].startswith("docker.io/library/python:3.11")
    # It runs as its own user, set after the last RUN that needs root.
    users = [i for i, k in enumerate(keywords) if k == "USER"]
    assert users and instructions[users[-1]][1] == "gridwhistle"
    assert max(i for i, k in enumerate(keywords) if k == "RUN") < users[-1]
    # Every COPY source exists in the repository (the build context is its root).
    for keyword, args in instructions:
        if keyword == "COPY":
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    # Exec-form ENTRYPOINT/CMD (signals reach the service), and no secret baked into the image.
    for keyword in ("ENTRYPOINT", "CMD"):
        (args,) = [a for k, a in instructions if k == keyword]
        assert isinstance(json.loads(args), list)
    assert ("EXPOSE", "8080") in instructions
    for keyword, args in instructions:
        if keyword in ("ENV", "ARG"):
            assert not re.search(r"SECRET|TOKEN|AES_KEY|PASSWORD|BACKUP__KEY", args), args
    assert any(k == "RUN" and "postgresql-client" in a for k, a in instructions)  # pg_dump for backups


# -- settings examples -----------------------------------------------------------------------------------


def test_example_settings_and_environment_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for line in (DEPLOY / "gridwhistle.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            if value:
                monkeypatch.setenv(key, value)
    settings = load_settings(DEPLOY / "gridwhistle.toml.example")
    assert settings.server.host == "127.0.0.1"
    assert settings.logging.json_lines is True
    assert settings.backup.keep == 14
    assert settings.wecom.app.secret == "the-app-secret-from-the-console"  # from the environment file
    assert settings.database.url.startswith("postgres://")


# -- alerts ----------------------------------------------------------------------------------------------


def test_sample_alerts_name_only_metrics_the_service_exports() -> None:
    """Every gridwhistle_* series an alert uses exists on /metrics (tests/bot/test_watching.py scrapes it);
    `promtool check rules` runs where Prometheus's tools are installed."""
    from bot.metrics import REGISTRY, State, render

    text = (DEPLOY / "alerts.yml").read_text(encoding="utf-8")
    exported = render(State(now=datetime.now(UTC)), leader=True).decode() + "\n".join(
        m.name for m in REGISTRY.collect()
    )
    used = set(re.findall(r"\bgridwhistle_[a-z_]+", text))
    assert used and all(name in exported for name in used), used
    for needed in ("GridwhistleDeadLetters", "GridwhistleOutboxBacklogOld", "GridwhistleNoWecomSuccess"):
        assert f"alert: {needed}" in text
    promtool = shutil.which("promtool")
    if promtool:
        result = subprocess.run(
            [promtool, "check", "rules", str(DEPLOY / "alerts.yml")], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
