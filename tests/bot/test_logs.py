"""Log lines are stamped in Beijing time with the offset, as the service writes them (a real process)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime

from config.timezone import SHANGHAI

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00) INFO gridwhistle.test: 你好$")
SCRIPT = (
    "import logging; from bot.logs import configure_logging; configure_logging(logging.INFO); "
    "logging.getLogger('gridwhistle.test').info('你好'); logging.getLogger('gridwhistle.test').debug('hidden')"
)


def test_a_log_line_is_in_beijing_time_whatever_the_machines_zone() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env={"TZ": "UTC", "PATH": ""}
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    found = LINE.match(line)
    assert found, line
    stamped = datetime.fromisoformat(found.group(1))
    assert abs((datetime.now(SHANGHAI) - stamped).total_seconds()) < 60
