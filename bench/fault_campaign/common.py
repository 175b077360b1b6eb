"""What the campaign's parts share: the APIs that carry answers, the client's timeout, ports, progress lines."""

from __future__ import annotations

import socket
import time

ANSWER_PATHS = ("message/send", "aibot/response", "kf/send_msg")
CLIENT_TIMEOUT = 10.0  # the service's WeCom client gives up after this (bot/channels/wecom_api.py)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)
