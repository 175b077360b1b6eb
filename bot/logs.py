"""Log lines: plain text by default, or one JSON object per line ([logging] json_lines) with the trace id
of the HTTP request being handled, for journald and log collectors.

The trace id is set per request by bot/app.py's middleware (and sent back as X-Trace-Id); the
dispatcher's own trace id for a failed message is in that line's message ("trace 1a2b3c4d"), the
same one the villager is shown.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

TRACE_ID: ContextVar[str] = ContextVar("gridwhistle_trace_id", default="")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def new_trace_id() -> str:
    return uuid.uuid4().hex[:16]


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        trace_id = TRACE_ID.get()
        if trace_id:
            line["trace_id"] = trace_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(json_lines: bool, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
