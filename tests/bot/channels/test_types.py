"""Messages stored in the inbox and outbox: `to_json` gives what `dataclasses.asdict` would once stored as
JSON, and `from_json` reads it back to the same message."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from bot.channels.types import Address, Button, Card, Inbound, NewGroup, Outbound, Select


def test_an_outbound_with_every_part_is_stored_as_asdict_would_and_read_back() -> None:
    card = Card(
        task_id="t1",
        title="新诉求 #1042",
        description="村口路灯坏了",
        fields=(("来自", "三屯"),),
        buttons=(Button("ok:1", "确认"), Button("later:1", "稍后", style=2)),
        selects=(Select("dept", "部门", (("road", "交通"), ("power", "电力")), selected_id="road"),),
    )
    message = Outbound(
        to=Address("appchat", "chat1", via="x"),
        text="你好",
        card=card,
        card_update={"response_code": "rc", "nested": [{"a": 1}]},
        create_group=NewGroup("联办群", "zhangwei", ("zhangwei", "lihong")),
    )
    stored = json.loads(json.dumps(message.to_json(), ensure_ascii=False))
    assert stored == json.loads(json.dumps(asdict(message), ensure_ascii=False))
    assert Outbound.from_json(stored) == message


def test_an_inbound_is_stored_as_asdict_would_with_its_time_as_text_and_read_back() -> None:
    said = {"channel": "aibot", "message_id": "m1", "sender": "villager1", "conversation": "grid1", "kind": "text"}
    inbound = Inbound(
        **said,
        text="桥塌了",
        received_at=datetime(2026, 12, 7, 8, 0, tzinfo=UTC),
        reply={"response_url": "http://example.invalid/r"},
        extra={"media": [{"id": "x"}]},
    )
    expected = {**asdict(inbound), "received_at": "2026-12-07T08:00:00+00:00"}
    assert json.loads(json.dumps(inbound.to_json())) == json.loads(json.dumps(expected))
    assert Inbound.from_json(inbound.to_json()) == inbound
