"""The service's log lines, stamped in the county's time (Beijing, config/timezone.py) as the demo page and
every reply show it, with the offset so a line is never mistaken for UTC: `2026-11-16 09:00:00+08:00`."""

from __future__ import annotations

import logging
from datetime import datetime

from config.timezone import SHANGHAI

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class BeijingFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        stamp = datetime.fromtimestamp(record.created, SHANGHAI)
        return stamp.strftime(datefmt) if datefmt else stamp.isoformat(sep=" ", timespec="seconds")


def configure_logging(level: int) -> None:
    """Log to stderr at `level`, every line in Beijing time (replaces handlers an earlier call installed)."""
    handler = logging.StreamHandler()
    handler.setFormatter(BeijingFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
