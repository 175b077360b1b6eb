"""`gridwhistle demo [--config FILE] [--port N]`: the whole thing on one machine, nothing configured.

SQLite under data/, the demo county, a fake WeCom API on an unused loopback port, the service on
[server] port (default 8080) and a browser page on it where anyone of the county can chat with the bot.
Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from bot.commands import add_config_arg, settings_from
from bot.logs import configure_logging
from bot.sandbox.demo import RunningDemo, running_demo
from config.department_names import read_department_names
from config.help import read_help
from config.paths import DEMO_INDEX_FILE
from config.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the service with a built-in WeCom sandbox and a browser page",
        description=__doc__.splitlines()[0],
    )
    add_config_arg(parser)
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="port of the service and the page (default: [server] port, 8080)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if settings.index.file is None:  # the demo county shows its example index
        settings = settings.model_copy(update={"index": settings.index.model_copy(update={"file": DEMO_INDEX_FILE})})
    read_department_names()  # a mistake in the shipped data stops the start, naming file and key
    read_help()
    if args.port is not None:
        settings = settings.model_copy(update={"server": settings.server.model_copy(update={"port": args.port})})
    configure_logging(logging.WARNING)
    asyncio.run(_serve(settings))
    return 0


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"gridwhistle demo: starting (database {settings.database.url}) …", flush=True)
    async with running_demo(settings) as demo:
        _banner(demo, settings)
        await stop.wait()
        print("gridwhistle demo: stopping …", flush=True)
    print("gridwhistle demo: stopped / 已停止", flush=True)


def _banner(demo: RunningDemo, settings: Settings) -> None:
    print(
        "\n"
        f"  网格哨演示已启动。请在浏览器打开：{demo.page_url}\n"
        f"  gridwhistle demo is running. Open in your browser: {demo.page_url}\n"
        "\n"
        f"  service / 服务:          {demo.service_url}  (/wecom/app, /wecom/aibot, /healthz)\n"
        f"  fake WeCom API / 模拟企业微信: {demo.fake.api_base}\n"
        f"  database / 数据库:        {settings.database.url}\n"
        f"  org file / 组织架构:      {settings.org.file}\n"
        "\n"
        "  Ctrl-C 停止 / Ctrl-C stops everything.\n",
        flush=True,
    )
