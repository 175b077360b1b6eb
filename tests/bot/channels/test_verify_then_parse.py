"""Nothing a sender controls is parsed before the signature is checked, and nothing from outside gets a 500:
deep, broken or odd bodies are 400s, each in one short line of a rate-limited log, with no traceback."""

from __future__ import annotations

import json
import logging

import pytest

from models import InboxMessage

FORGED = {"msg_signature": "f" * 40, "timestamp": "1700000000", "nonce": "42"}
DEEP = 100_000


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "refused" in r.getMessage()]


def assert_quiet(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback and nothing at ERROR: a refused request is a warning of one short line."""
    for record in caplog.records:
        assert record.exc_info is None and record.levelno < logging.ERROR, record.getMessage()
        assert "\n" not in record.getMessage() and len(record.getMessage()) < 200


@pytest.mark.parametrize(
    ("path", "body"),
    [("aibot", b"[" * DEEP), ("aibot", b'{"a":' * DEEP), ("app", b"<a>" * DEEP), ("app", b"<xml>" + b"<a>" * 20)],
    ids=["json-list", "json-object", "xml", "xml-shallow-but-not-an-envelope"],
)
async def test_a_deep_unsigned_body_is_400_without_a_traceback(service, peer, caplog, path: str, body: bytes) -> None:
    """The body of 100,000 `[` with a made-up signature used to be parsed first and end in a 500."""
    caplog.set_level(logging.INFO)
    answer = await peer.post(f"/wecom/{path}", FORGED, body)
    assert answer.status == 400
    assert len(refusals(caplog)) == 1
    assert_quiet(caplog)
    assert await InboxMessage.all().count() == 0


async def test_refusals_are_logged_once_a_minute_per_reason(service, peer, clock, caplog) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(50):
        assert (await peer.post("/wecom/aibot", FORGED, b"[" * DEEP)).status == 400
    assert len(refusals(caplog)) == 1
    for _ in range(5):  # another reason gets its own line
        assert (await peer.post("/wecom/aibot", FORGED, json.dumps({"encrypt": "QUJD"}))).status == 403
    assert [r.getMessage() for r in refusals(caplog)][1:] == ["aibot callback refused: bad signature"]
    clock.advance(seconds=61)
    assert (await peer.post("/wecom/aibot", FORGED, b"[" * DEEP)).status == 400
    assert refusals(caplog)[-1].getMessage().endswith("(and 49 more like it since the last line)")
    assert_quiet(caplog)


async def test_a_deep_signed_json_message_is_400(service, peer, caplog) -> None:
    """Signed by WeCom (or whoever holds the key) but nested too deep: 400, which WeCom does not retry forever."""
    caplog.set_level(logging.INFO)
    for plain in ("[" * DEEP, '{"msgid": "1", "msgtype": "text", "x": ' + "[" * 20 + "]" * 20 + "}"):
        sealed = peer.aibot_crypto.seal(plain, timestamp=peer._ts(), nonce="7")
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": "7"}
        assert (await peer.post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}))).status == 400
    assert_quiet(caplog)
    assert await InboxMessage.all().count() == 0


async def test_a_deep_signed_xml_message_is_400(service, peer, caplog) -> None:
    caplog.set_level(logging.INFO)
    deep = "<xml><MsgType>text</MsgType><Content>" + "<a>" * DEEP + "</Content></xml>"
    assert (await peer.post_app(deep)).status == 400
    assert_quiet(caplog)
    assert await InboxMessage.all().count() == 0


@pytest.mark.parametrize(
    "plain",
    [
        '{"msgid": "1", "msgtype": "text", "text": "not an object", "from": ["x"]}',
        '{"msgid": ["1"], "msgtype": "mixed", "mixed": {"msg_item": {"msgtype": "text"}}}',
        '{"msgid": "1", "msgtype": "event", "event": {"eventtype": "template_card_event", "template_card_event": 5}}',
        '"\\ud800"',
        "{}",
    ],
)
async def test_odd_types_in_a_signed_json_message_never_500(service, peer, plain: str) -> None:
    sealed = peer.aibot_crypto.seal(plain, timestamp=peer._ts(), nonce="8")
    query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": "8"}
    answer = await peer.post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}))
    assert answer.status in (200, 400)


@pytest.mark.parametrize("timestamp", ["abc", "-1", "1" * 20, ""])
async def test_a_timestamp_that_is_not_seconds_is_400(service, peer, timestamp: str) -> None:
    sealed = peer.aibot_crypto.seal("{}", timestamp=peer._ts(), nonce="9")
    query = {
        "msg_signature": peer.aibot_crypto.sign(timestamp, "9", sealed.encrypt),
        "timestamp": timestamp,
        "nonce": "9",
    }
    assert (await peer.post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}))).status == 400
