"""The service's log lines, stamped in the county's time (Beijing, config/timezone.py) as the demo page and
every reply show it, with the offset so a line is never mistaken for UTC: `2026-11-16 09:00:00+08:00`.

Plain text by default, or one JSON object per line ([logging] json_lines) with the trace id of the HTTP
request being handled, for journald and log collectors. The trace id is set per request by bot/app.py's
middleware (and sent back as X-Trace-Id); the dispatcher's own trace id for a failed message is in that
line's message ("trace 1a2b3c4d"), the same one the villager is shown.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from datetime import datetime

from config.timezone import SHANGHAI

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TRACE_ID: ContextVar[str] = ContextVar("gridwhistle_trace_id", default="")


def new_trace_id() -> str:
    return uuid.uuid4().hex[:16]


class BeijingFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        stamp = datetime.fromtimestamp(record.created, SHANGHAI)
        return stamp.strftime(datefmt) if datefmt else stamp.isoformat(sep=" ", timespec="seconds")


class JsonLines(logging.Formatter):
    """One JSON object a line: time (Beijing, with its offset), level, logger, message, trace_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, SHANGHAI).isoformat(timespec="milliseconds"),
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


def configure_logging(level: int, *, json_lines: bool = False) -> None:
    """Log to stderr at `level`, every line in Beijing time (replaces handlers an earlier call installed)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLines() if json_lines else BeijingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
