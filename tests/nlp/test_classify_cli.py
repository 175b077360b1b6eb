"""`gridwhistle classify` and `gridwhistle lexicon check` as a user runs them: a real subprocess."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"id", "is_request", "primary", "also", "urgency", "keywords"}
# A guard against a hung pipe, not a timing assertion: a streaming bug would otherwise block forever.
DEADLOCK_GUARD_S = 120


def gridwhistle(*args: str, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    env.pop("GRIDWHISTLE_ROUTING__TABLE", None)
    return subprocess.Popen(
        [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def read_line(process: subprocess.Popen) -> dict:
    ready, _, _ = select.select([process.stdout], [], [], DEADLOCK_GUARD_S)
    assert ready, "classify did not answer a line before its input was closed"
    return json.loads(process.stdout.readline())


def test_classify_answers_each_line_before_stdin_is_closed(tmp_path: Path) -> None:
    with gridwhistle("classify", cache=tmp_path) as process:
        try:
            process.stdin.write('{"id": 1, "text": "三屯的路灯不亮好几天了"}\n'.encode())
            process.stdin.flush()
            first = read_line(process)  # stdin is still open
            assert set(first) == FIELDS
            assert first["id"] == 1 and first["primary"] == "power" and first["is_request"] is True

            process.stdin.write(b"this is not json\n")
            process.stdin.flush()
            error = read_line(process)
            assert error["line"] == 2 and "error" in error

            process.stdin.write('{"id": "a", "text": "着火了 快来人"}\n{"id": "b", "text": "收到"}\n'.encode())
            process.stdin.close()
            rest = [json.loads(line) for line in process.stdout.read().splitlines()]
            assert [(r["id"], r["primary"], r["urgency"]) for r in rest] == [
                ("a", "emergency", "urgent"),
                ("b", "none", "normal"),
            ]
            assert process.wait(DEADLOCK_GUARD_S) == 0
            assert b"Traceback" not in process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()


def run(*args: str, cache: Path) -> subprocess.CompletedProcess:
    with gridwhistle(*args, cache=cache) as process:
        out, err = process.communicate(timeout=DEADLOCK_GUARD_S)
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


def test_lexicon_check_accepts_the_shipped_table(tmp_path: Path) -> None:
    result = run("lexicon", "check", str(ROOT / "config" / "routing"), cache=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK ") and "20 departments" in result.stdout


def test_lexicon_check_points_at_the_line(tmp_path: Path) -> None:
    table = tmp_path / "routing.toml"
    table.write_text(
        '[departments.power]\nname = "供电"\n\n[[departments.power.terms]]\nweight = "high"\nwords = ["停电"]\n',
        encoding="utf-8",
    )
    result = run("lexicon", "check", str(table), cache=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == f"{table}:5: departments.power.terms[0].weight: must be a number, not 'high'"
    assert "Traceback" not in result.stderr


def test_lexicon_check_names_each_broken_file_of_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "routing"
    folder.mkdir()
    (folder / "power.toml").write_text(
        '[departments.power]\nname = "供电"\n\n[departments.power.terms.outage]\n'
        'weight = 6.0\nwords = ["停电"]\n\n[cues.ask]\nweight = 2.0\nwords = ["咋整"]\n',
        encoding="utf-8",
    )
    (folder / "rules.toml").write_text("[[rules]\n", encoding="utf-8")
    result = run("lexicon", "check", str(folder), cache=tmp_path)
    assert result.returncode == 1
    assert [line.split(": ", 2)[:2] for line in result.stderr.strip().splitlines()] == [
        [f"{folder / 'power.toml'}:8", "cues"],
        [f"{folder / 'rules.toml'}:1", "TOML syntax error"],
    ]
    assert "belongs in cues.toml, not in power.toml" in result.stderr and "Traceback" not in result.stderr
