"""The whole application as `serve` composes it, and the `serve` and `kf link` commands as processes."""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import socket
import sys
from pathlib import Path

import aiohttp

from bot.keys import DISPATCHER, ROUTER, SCHEDULER

KFID = "wkgridwhistledemo"


async def test_full_app_starts_with_org_router_dispatcher_and_scheduler(service, peer) -> None:
    await service.stop()
    await service.start(process=None, load_org=True, background=True)
    app = service.app
    assert app[ROUTER].router is not None and DISPATCHER in app
    assert {"whistle", "tasks.reminders", "console.rates"} <= set(app[SCHEDULER].job_names)
    async with peer.http.get(service.base_url + "/healthz") as response:
        assert response.status == 200 and (await response.json())["ok"] is True


def _config(tmp_path: Path, database_url: str, api_base: str, port: int) -> Path:
    path = tmp_path / "serve.toml"
    path.write_text(
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n[database]\nurl = "{database_url}"\n'
        f'[wecom]\napi_base = "{api_base}"\n',
        encoding="utf-8",
    )
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_serve_command_answers_healthz(tmp_path: Path, database_url: str, fake_wecom) -> None:
    port = _free_port()
    config = _config(tmp_path, database_url, fake_wecom.api_base, port)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--config",
        str(config),
        stderr=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stderr is not None
        while True:  # the log line aiohttp prints once the site listens
            line = await proc.stderr.readline()
            assert line, "serve exited before listening"
            if b"Running on" in line:
                break
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        await proc.communicate()
    assert proc.returncode == 0


async def test_kf_link_makes_one_link_per_grid(tmp_path: Path, database_url: str, fake_wecom) -> None:
    config = _config(tmp_path, database_url, fake_wecom.api_base, 8080)
    out = tmp_path / "links.csv"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "kf",
        "link",
        "--config",
        str(config),
        "--out",
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    rows = list(csv.DictReader(io.StringIO(stdout.decode())))
    assert len(rows) == 13 and rows[0]["grid"]  # the demo county's 13 grids
    assert out.read_text(encoding="utf-8") == stdout.decode()
    sent = fake_wecom.state.bodies("kf/add_contact_way")
    assert sorted(b["scene"] for b in sent) == sorted(r["grid"] for r in rows)
    assert {b["open_kfid"] for b in sent} == {KFID}
    assert all(r["url"].startswith(fake_wecom.base_url) for r in rows)
