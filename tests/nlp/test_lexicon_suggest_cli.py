"""`gridwhistle lexicon suggest` reads the township's re-assignments from the database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from models import RoutingCorrection

CORRECTIONS = [
    ("村里大喇叭坏了好几天了 通知听不着", "power", "village"),
    ("屯里大喇叭一直不响", "telecom", "village"),
    ("广播大喇叭声音太小", "power", "village"),
    ("我家电动车丢了", "village", "public_security"),
]


async def test_suggest_proposes_words_from_corrections_with_their_examples(
    gridwhistle,
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


async def test_suggest_with_no_corrections_says_so(gridwhistle, db: str, config_file: Path, tmp_path: Path) -> None:
    code, out, err = await gridwhistle("lexicon", "suggest", "--config", str(config_file), cache=tmp_path)
    assert code == 0, err
    assert out.strip() == "no proposals from 0 correction(s)"
