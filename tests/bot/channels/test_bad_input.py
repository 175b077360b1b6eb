"""Every bad callback is refused with the right status, stores nothing and leaves the server answering."""

from __future__ import annotations

import base64
import io
import json

import pytest
from wechatpy.crypto.cryptography import WeChatCipher

from models import InboxMessage

TEXT = (
    "<xml><ToUserName>c</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'


async def assert_nothing_stored_and_alive(peer) -> None:
    assert await InboxMessage.all().count() == 0
    async with peer.http.get(peer.service.base_url + "/healthz") as response:
        assert response.status == 200


def _signed_raw(peer, encrypt: str, path: str = "app") -> tuple[dict[str, str], str]:
    crypto = peer.app_crypto if path == "app" else peer.aibot_crypto
    now = peer._ts()  # signed now: these bodies are refused for what they hold, not for their date
    query = {"msg_signature": crypto.sign(now, "42", encrypt), "timestamp": now, "nonce": "42"}
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>" if path == "app" else json.dumps({"encrypt": encrypt})
    return query, body


def _key(peer) -> bytes:
    return base64.b64decode(peer.service.settings.wecom.app.encoding_aes_key + "=")


@pytest.mark.parametrize("path", ["app", "aibot"])
async def test_wrong_signature_is_403(service, peer, path: str) -> None:
    if path == "app":
        query, body = peer.app_envelope(TEXT)
    else:
        query, body = peer.aibot_envelope({"msgid": "x", "msgtype": "text", "text": {"content": "hi"}})
    query["msg_signature"] = "f" * 40
    assert (await peer.post(f"/wecom/{path}", query, body)).status == 403
    query.pop("msg_signature")
    assert (await peer.post(f"/wecom/{path}", query, body)).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("path", ["app", "aibot"])
async def test_wrong_signature_on_url_check_is_403(service, peer, path: str) -> None:
    sealed = peer.app_crypto.seal("x", timestamp=1, nonce="1")
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "1", "echostr": sealed.encrypt}
    async with peer.http.get(f"{service.base_url}/wecom/{path}", params=query) as response:
        assert response.status == 403


@pytest.mark.parametrize("path", ["app", "aibot"])
@pytest.mark.parametrize("encrypt", ["%%%not-base64%%%", "QUJD", "QUJDREVGR0hJSktMTU5PUA=="])
async def test_bad_base64_or_blocks_is_400(service, peer, path: str, encrypt: str) -> None:
    assert (await peer.post(f"/wecom/{path}", *_signed_raw(peer, encrypt, path))).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("path", ["app", "aibot"])
async def test_bad_padding_is_400(service, peer, path: str) -> None:
    forged = base64.b64encode(WeChatCipher(_key(peer)).encrypt(b"y" * 63 + b"\x09")).decode()
    assert (await peer.post(f"/wecom/{path}", *_signed_raw(peer, forged, path))).status == 400
    await assert_nothing_stored_and_alive(peer)


async def test_wrong_receiveid_is_400(service, peer) -> None:
    """A message for the app sealed with the bot's receiveid (""), and the reverse."""
    query, body = peer.app_envelope(TEXT, crypto=peer.aibot_crypto)
    assert (await peer.post("/wecom/app", query, body)).status == 400
    sealed = peer.app_crypto.seal(
        json.dumps({"msgid": "x", "msgtype": "text", "text": {"content": "hi"}}), timestamp=peer._ts(), nonce="2"
    )
    query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": "2"}
    assert (await peer.post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}))).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("path", ["app", "aibot"])
async def test_body_over_one_megabyte_is_413(service, peer, path: str) -> None:
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "1"}
    assert (await peer.post(f"/wecom/{path}", query, io.BytesIO(b"x" * (1024 * 1024 + 1)))).status == 413
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
async def test_dtd_in_the_envelope_is_refused(service, peer, prolog: str) -> None:
    query, body = peer.app_envelope(TEXT)
    body = prolog + body.replace("<ToUserName>", "<ToUserName>&lol3;" if "lol" in prolog else "<ToUserName>&ext;", 1)
    assert (await peer.post("/wecom/app", query, body)).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("prolog", [BILLION_LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
async def test_dtd_in_the_signed_plaintext_is_refused(service, peer, prolog: str) -> None:
    entity = "&lol3;" if "lol" in prolog else "&ext;"
    response = await peer.post_app(prolog + TEXT.replace("<Content>hi", f"<Content>{entity}"))
    assert response.status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("body", [b"", b"<xml>", b"<xml></xml>", b"\xff\xfe", b"<xml><Encrypt/></xml>"])
async def test_malformed_app_envelope_is_400(service, peer, body: bytes) -> None:
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "1"}
    assert (await peer.post("/wecom/app", query, body)).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"encrypt": 5}', b"\xff"])
async def test_malformed_aibot_envelope_is_400(service, peer, body: bytes) -> None:
    query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "1"}
    assert (await peer.post("/wecom/aibot", query, body)).status == 400
    await assert_nothing_stored_and_alive(peer)


@pytest.mark.parametrize("plain", ["not xml", "<xml><MsgType>text</MsgType>", "<other/>", "<xml/>"])
async def test_signed_but_unreadable_plaintext_is_400(service, peer, plain: str) -> None:
    assert (await peer.post_app(plain)).status == 400
    await assert_nothing_stored_and_alive(peer)


async def test_signed_but_unreadable_json_is_400(service, peer) -> None:
    sealed = peer.aibot_crypto.seal("{not json", timestamp=peer._ts(), nonce="3")
    query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": "3"}
    assert (await peer.post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}))).status == 400
    await assert_nothing_stored_and_alive(peer)
