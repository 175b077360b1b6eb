"""Counting, per message, what WeCom delivered; the table."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from bot.sandbox.fake_wecom import FakeWecom, SentCall

from .scenarios import Run
from .sender import Message


@dataclass
class Figures:
    name: str
    posted: int = 0
    acknowledged: int = 0
    processed: int = 0
    answered_once: int = 0
    doubled: int = 0
    at_crash: int = 0
    crash_gaps: list[float] = field(default_factory=list)  # seconds between the two copies of each
    lost: int = 0
    other_doubles: int = 0
    queued: int = 0  # outbox rows still waiting at the end (a crash's lease, retries of a send WeCom took)
    note: str = ""


def delivered(fake: FakeWecom) -> list[tuple[int, SentCall]]:
    """The calls WeCom accepted and would deliver, with their indexes in the record. A kf send with a
    msgid already accepted is answered "ok" again but kept once (the sandbox records every call)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for index, call in enumerate(fake.sent):
        if not call.ok or call.dropped:
            continue
        if call.path == "kf/send_msg" and isinstance(call.body, dict):
            key = (str(call.body.get("open_kfid")), str(call.body.get("msgid")))
            if key in seen:
                continue
            seen.add(key)
        out.append((index, call))
    return out


def answers(fake: FakeWecom, messages: list[Message]) -> dict[str, list[int]]:
    """Each message's delivered answers, as indexes into the fake's record."""
    by_user = {m.userid: m.ident for m in messages if m.channel == "app"}
    by_code = {m.response_code: m.ident for m in messages if m.channel == "aibot"}
    by_customer = {m.userid: m.ident for m in messages if m.channel == "kf"}
    found: dict[str, list[int]] = {m.ident: [] for m in messages}
    for index, call in delivered(fake):
        if call.path == "message/send" and isinstance(call.body, dict) and call.body.get("msgtype") == "text":
            for user in str(call.body.get("touser", "")).split("|"):
                if user in by_user:
                    found[by_user[user]].append(index)
        elif call.path == "aibot/response" and call.params.get("response_code") in by_code:
            found[by_code[call.params["response_code"]]].append(index)
        elif call.path == "kf/send_msg" and isinstance(call.body, dict) and call.body.get("touser") in by_customer:
            found[by_customer[call.body["touser"]]].append(index)
    return found


def _other_doubles(fake: FakeWecom, answer_indexes: set[int]) -> int:
    """Identical accepted sends (same API, parameters and body) among everything that is not an answer."""
    copies = Counter(
        (call.path, json.dumps(call.params, sort_keys=True), json.dumps(call.body, sort_keys=True, ensure_ascii=False))
        for index, call in delivered(fake)
        if index not in answer_indexes and call.path != "kf/sync_msg"
    )
    return sum(n - 1 for n in copies.values() if n > 1)


def received(fake: FakeWecom) -> str:
    """Accepted / refused calls by API, to see that the harm was done."""
    accepted = Counter(c.path for c in fake.sent if c.ok)
    refused = Counter(f"{c.path} {c.answer.get('errcode')}" for c in fake.sent if not c.ok)
    parts = [f"{path} {n} accepted" for path, n in sorted(accepted.items())]
    parts += [f"{what} ×{n}" for what, n in sorted(refused.items())]
    return ", ".join(parts) or "nothing"


async def count(run: Run, messages: list[Message]) -> Figures:
    assert run.sender is not None
    conn = await asyncpg.connect(run.database_url)
    try:
        done = {r["message_key"] for r in await conn.fetch("SELECT message_key FROM inbox_message WHERE status='done'")}
    finally:
        await conn.close()
    found = answers(run.fake, messages)
    figures = Figures(run.name, posted=len(messages))
    for message in messages:
        acknowledged = message.ident in run.sender.acknowledged
        figures.acknowledged += acknowledged
        figures.processed += acknowledged and message.ident in done
        copies = found[message.ident]
        if len(copies) == 1:
            figures.answered_once += 1
        elif len(copies) > 1:
            crossed = any(copies[0] < b <= copies[-1] for b in run.boundaries)
            if crossed and len(copies) == 2:
                figures.at_crash += 1
                figures.crash_gaps.append((run.fake.sent[copies[1]].at - run.fake.sent[copies[0]].at).total_seconds())
            else:
                figures.doubled += 1
        elif acknowledged:
            figures.lost += 1
    figures.other_doubles = _other_doubles(run.fake, {i for copies in found.values() for i in copies})
    return figures


COLUMNS = ("posted", "acknowledged", "processed", "answered once", "doubled", "at crash", "lost", "other x2", "queued")


def table(rows: list[Figures]) -> str:
    width = max(len(r.name) for r in rows) + 2
    lines = [f"{'':{width}}" + "".join(f"{c:>14}" for c in COLUMNS)]
    for r in rows:
        values = (r.posted, r.acknowledged, r.processed, r.answered_once, r.doubled, r.at_crash, r.lost)
        lines.append(
            f"{r.name:{width}}"
            + "".join(f"{v:>14}" for v in (*values, r.other_doubles, r.queued))
            + (f"  ({r.note})" if r.note else "")
        )
    return "\n".join(lines)
