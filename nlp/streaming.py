"""JSON Lines in, routing decisions out, as the lines arrive (the engine of `gridwhistle classify`).

Every line read is answered before the next read waits for more input: a caller feeding 20,000 lines
through a pipe gets answers while it is still writing, and one writing a line at a time gets each answer
at once. What one read returns (a pipe hands over whatever it holds) is answered with one flush — one
write per batch instead of one per line. A bad line becomes an error object for that line; the stream
goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from nlp.router import Router

# One encoder for every answer: json.dumps with any option builds a new one per call.
_encode = json.JSONEncoder(ensure_ascii=False).encode


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
    return {"id": record_id, **router.classify(message, explain=False).as_json()}  # no explanation is printed


def classify_stream(router: Router, lines: Iterable[bytes], out: BinaryIO) -> int:
    """Write one JSON line per non-blank input line, flushed at once; return how many lines were bad."""
    return classify_batches(router, ([line] for line in lines), out)


def classify_batches(router: Router, batches: Iterable[list[bytes]], out: BinaryIO) -> int:
    """Answer each batch of input lines, flushing once per batch; return how many lines were bad."""
    bad = 0
    line_number = 0
    for batch in batches:
        answers = []
        for raw in batch:
            line_number += 1
            result = classify_line(router, raw, line_number)
            if result is None:
                continue
            bad += "error" in result
            answers.append(_encode(result).encode("utf-8") + b"\n")
        if answers:
            out.write(b"".join(answers))
            out.flush()
    return bad


def line_batches(read: Callable[[int], bytes], size: int = 1 << 16) -> Iterator[list[bytes]]:
    """The complete lines of each read (os.read on a pipe returns what it holds, without waiting for
    `size` bytes); a last line without a newline comes at the end of input."""
    pending = b""
    while data := read(size):
        *lines, pending = (pending + data).split(b"\n")
        if lines:
            yield [line + b"\n" for line in lines]
    if pending:
        yield [pending]
