"""JSON Lines in, routing decisions out, one line at a time (the engine of `gridwhistle classify`).

Each output line is written and flushed as soon as its input line is read, so a caller feeding
20,000 lines through a pipe gets answers while it is still writing. A bad line becomes an error
object for that line; the stream goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import BinaryIO

from nlp.router import Router


def _error(line_number: int, message: str, record_id: object = None) -> dict:
    return {"id": record_id, "line": line_number, "error": message}


def classify_line(router: Router, raw: bytes, line_number: int) -> dict | None:
    """One input line → one output object (None for a blank line)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _error(line_number, "not UTF-8")
    if not text.strip():
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return _error(line_number, f"not JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(record, dict):
        return _error(line_number, 'expected an object like {"id": 1, "text": "…"}')
    record_id = record.get("id")
    message = record.get("text")
    if not isinstance(message, str):
        return _error(line_number, 'missing "text" (a string)', record_id)
    return {"id": record_id, **router.classify(message).as_json()}


def classify_stream(router: Router, lines: Iterable[bytes], out: BinaryIO) -> int:
    """Write one JSON line per non-blank input line; return how many lines were bad."""
    bad = 0
    for line_number, raw in enumerate(lines, 1):
        result = classify_line(router, raw, line_number)
        if result is None:
            continue
        bad += "error" in result
        out.write(json.dumps(result, ensure_ascii=False).encode("utf-8") + b"\n")
        out.flush()
    return bad
