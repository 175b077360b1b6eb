"""The JSON Lines engine of `gridwhistle classify`, in process."""

from __future__ import annotations

import io
import json

from nlp.router import Router
from nlp.streaming import classify_batches, classify_stream, line_batches

FIELDS = {"id", "is_request", "primary", "also", "urgency", "keywords"}


def run(router: Router, *lines: bytes) -> tuple[list[dict], int]:
    out = io.BytesIO()
    bad = classify_stream(router, iter(lines), out)
    return [json.loads(line) for line in out.getvalue().splitlines()], bad


def test_each_line_gets_exactly_the_public_fields(router: Router) -> None:
    results, bad = run(
        router, '{"id": 7, "text": "三屯路灯不亮了"}\n'.encode(), b'{"id": "x", "text": "\\u6536\\u5230"}\n'
    )
    assert bad == 0
    assert [set(r) for r in results] == [FIELDS, FIELDS]
    assert results[0] == {
        "id": 7,
        "is_request": True,
        "primary": "power",
        "also": [],
        "urgency": "normal",
        "keywords": ["路灯", "灯不亮"],
    }
    assert results[1]["primary"] == "none" and results[1]["id"] == "x"


def test_bad_lines_become_error_objects_and_the_stream_goes_on(router: Router) -> None:
    results, bad = run(
        router,
        b"not json\n",
        b"[1, 2]\n",
        b'{"id": 3}\n',
        b'{"id": 4, "text": 5}\n',
        b"\xff\xfe\n",
        b"\n",
        '{"id": 6, "text": "停水了"}\n'.encode(),
    )
    assert bad == 5
    assert [r.get("line") for r in results[:5]] == [1, 2, 3, 4, 5]
    assert all("error" in r for r in results[:5])
    assert results[2]["id"] == 3 and results[3]["id"] == 4
    assert results[5]["id"] == 6 and results[5]["primary"] == "water"


def test_lines_are_batched_by_what_each_read_returns_and_numbered_across_batches(router: Router) -> None:
    chunks = iter(
        [b'{"id": 1, "text": "\xe5\x81\x9c\xe6\xb0\xb4\xe4\xba\x86"}\nnot js', b'on\n\n{"id": 3, "text": "ok"}']
    )
    batches = list(line_batches(lambda size: next(chunks, b"")))
    assert batches == [
        [b'{"id": 1, "text": "\xe5\x81\x9c\xe6\xb0\xb4\xe4\xba\x86"}\n'],
        [b"not json\n", b"\n"],
        [b'{"id": 3, "text": "ok"}'],
    ]
    out = io.BytesIO()
    assert classify_batches(router, batches, out) == 1
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in results] == [1, None, 3]
    assert results[0]["primary"] == "water" and results[1]["line"] == 2
