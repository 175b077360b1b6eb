"""`gridwhistle lexicon suggest` reads the township's re-assignments from the database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.clock import ManualClock
from models import RoutingCorrection

ROOT = Path(__file__).resolve().parents[2]

CORRECTIONS = [
    ("村里大喇叭坏了好几天了 通知听不着", "power", "village"),
    ("屯里大喇叭一直不响", "telecom", "village"),
    ("广播大喇叭声音太小", "power", "village"),
    ("我家电动车丢了", "village", "public_security"),
]


async def gridwhistle(*args: str, cache: Path) -> tuple[int, str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from bot.cli import main; sys.exit(main())",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_suggest_proposes_words_from_corrections_with_their_examples(
    db: str,
    config_file: Path,
    clock: ManualClock,
    tmp_path: Path,
) -> None:
    for text, original, corrected in CORRECTIONS:
        await RoutingCorrection.create(text=text, original=original, corrected=corrected, created_at=clock.now())

    code, out, err = await gridwhistle("lexicon", "suggest", "--config", str(config_file), cache=tmp_path)

    assert code == 0, err
    assert "from 4 correction(s)" in out
    village = out.split("[departments.village]", 1)[1]
    assert village.splitlines()[1].strip().startswith("喇叭  — in 3 of its corrections (100%)")
    assert "· 村里大喇叭坏了好几天了 通知听不着" in village
    assert "[departments.public_security]" not in out  # one example is not enough


async def test_suggest_with_no_corrections_says_so(db: str, config_file: Path, tmp_path: Path) -> None:
    code, out, err = await gridwhistle("lexicon", "suggest", "--config", str(config_file), cache=tmp_path)
    assert code == 0, err
    assert out.strip() == "no proposals from 0 correction(s)"
