"""What the campaign's parts share: the APIs that carry answers, the client's timeout, ports, progress lines."""

from __future__ import annotations

import socket
import time

from bot.channels.wecom_api import SEND_TIMEOUT

ANSWER_PATHS = ("message/send", "aibot/response", "kf/send_msg")
CLIENT_TIMEOUT = SEND_TIMEOUT  # when the service's WeCom client gives up on an answer

SLOW_ACCEPTANCE = 12.0  # seconds: a slow WeCom as once seen, which the old 10 s client took for a failure


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)
