"""WeCom crypto against Tencent's published sample values (protocol notes §6.5), in both directions."""

from __future__ import annotations

import base64
import json

import pytest
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.channels.crypto import BadCiphertext, BadReceiveId, BadSignature, WecomCrypto

TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
AES_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
CORP_ID = "ww1436e0e65a779aee"

VERIFY = {
    "signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
MESSAGE = {
    "signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
    "encrypt": (
        "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkY"
        "cD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4"
        "Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082"
        "f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
    ),
}


@pytest.fixture
def app_crypto() -> WecomCrypto:
    return WecomCrypto(TOKEN, AES_KEY, CORP_ID)


def _prefix_of(encrypt: str) -> bytes:
    key = base64.b64decode(AES_KEY + "=")
    return WeChatCipher(key).decrypt(base64.b64decode(encrypt))[:16]


def test_verify_url_vector(app_crypto: WecomCrypto) -> None:
    assert app_crypto.verify_url(**VERIFY) == "1288432023552776189"


def test_verify_url_accepts_plus_decoded_as_space(app_crypto: WecomCrypto) -> None:
    spaced = dict(VERIFY, echostr=VERIFY["echostr"].replace("+", " "))
    assert app_crypto.verify_url(**spaced) == "1288432023552776189"


def test_decrypt_message_vector(app_crypto: WecomCrypto) -> None:
    assert app_crypto.decrypt(**MESSAGE) == (
        "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
        "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
        "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
    )


def test_seal_reproduces_tencent_ciphertext_and_signature(app_crypto: WecomCrypto) -> None:
    plain = app_crypto.decrypt(**MESSAGE)
    sealed = app_crypto.seal(
        plain, timestamp=MESSAGE["timestamp"], nonce=MESSAGE["nonce"], random_prefix=_prefix_of(MESSAGE["encrypt"])
    )
    assert sealed.encrypt == MESSAGE["encrypt"]
    assert sealed.signature == MESSAGE["signature"]


def test_seal_reproduces_echostr(app_crypto: WecomCrypto) -> None:
    sealed = app_crypto.seal(
        "1288432023552776189",
        timestamp=VERIFY["timestamp"],
        nonce=VERIFY["nonce"],
        random_prefix=_prefix_of(VERIFY["echostr"]),
    )
    assert (sealed.encrypt, sealed.signature) == (VERIFY["echostr"], VERIFY["signature"])


def test_wechatpy_vector() -> None:
    crypto = WecomCrypto("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
    echostr = "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
    signed = {"signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "timestamp": "1411443780", "nonce": "437374425"}
    assert crypto.verify_url(echostr=echostr, **signed) == "5927782489442352469"
    with pytest.raises(BadSignature):
        crypto.verify_url(echostr=echostr, **dict(signed, nonce="437374424"))


def test_xml_envelope_opens_with_wechatpy(app_crypto: WecomCrypto) -> None:
    """Our passive-reply envelope is what the reference library expects."""
    reply = "<xml><ToUserName>u</ToUserName><MsgType>text</MsgType><Content>收到</Content></xml>"
    sealed = app_crypto.seal(reply, timestamp=1700000000, nonce="123")
    reference = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    assert reference.decrypt_message(sealed.xml(), sealed.signature, sealed.timestamp, sealed.nonce) == reply


def test_aibot_json_round_trip_with_empty_receiveid() -> None:
    bot = WecomCrypto(TOKEN, AES_KEY, "")
    body = json.dumps({"msgid": "m1", "msgtype": "text", "text": {"content": "@网格哨 路灯坏了"}}, ensure_ascii=False)
    sealed = bot.seal(body, timestamp=1700000000, nonce="n1")
    envelope = json.loads(sealed.json())
    assert envelope["nonce"] == "n1" and envelope["timestamp"] == 1700000000
    assert bot.decrypt(envelope["msgsignature"], "1700000000", "n1", envelope["encrypt"]) == body
    reference = WeChatCrypto(TOKEN, AES_KEY, "")
    assert (
        reference.decrypt_message({"Encrypt": envelope["encrypt"]}, envelope["msgsignature"], "1700000000", "n1")
        == body
    )


def test_wrong_signature(app_crypto: WecomCrypto) -> None:
    with pytest.raises(BadSignature):
        app_crypto.decrypt(**dict(MESSAGE, signature="0" * 40))
    with pytest.raises(BadSignature):
        app_crypto.decrypt(**dict(MESSAGE, signature=""))


def test_wrong_receiveid() -> None:
    other = WecomCrypto(TOKEN, AES_KEY, "wwsomeoneelse")
    with pytest.raises(BadReceiveId):
        other.decrypt(**MESSAGE)
    with pytest.raises(BadReceiveId):
        WecomCrypto(TOKEN, AES_KEY, "").decrypt(**MESSAGE)


def _signed(crypto: WecomCrypto, encrypt: str) -> dict[str, str]:
    return {"signature": crypto.sign("1", "2", encrypt), "timestamp": "1", "nonce": "2", "encrypt": encrypt}


@pytest.mark.parametrize("encrypt", ["not base64 at all!", "", "QUJD", "QUJDREVGR0hJSktMTU5PUA=="])
def test_bad_base64_or_block_length(app_crypto: WecomCrypto, encrypt: str) -> None:
    with pytest.raises(BadCiphertext):
        app_crypto.decrypt(**_signed(app_crypto, encrypt))


def test_bad_padding(app_crypto: WecomCrypto) -> None:
    key = base64.b64decode(AES_KEY + "=")
    forged = base64.b64encode(WeChatCipher(key).encrypt(b"x" * 63 + b"\x05")).decode()
    with pytest.raises(BadCiphertext, match="padding"):
        app_crypto.decrypt(**_signed(app_crypto, forged))
    zero = base64.b64encode(WeChatCipher(key).encrypt(b"x" * 63 + b"\x00")).decode()
    with pytest.raises(BadCiphertext, match="padding"):
        app_crypto.decrypt(**_signed(app_crypto, zero))


def test_lying_length_field(app_crypto: WecomCrypto) -> None:
    key = base64.b64decode(AES_KEY + "=")
    body = b"r" * 16 + (10_000).to_bytes(4, "big") + b"short" + bytes([7]) * 7
    forged = base64.b64encode(WeChatCipher(key).encrypt(body)).decode()
    with pytest.raises(BadCiphertext, match="length"):
        app_crypto.decrypt(**_signed(app_crypto, forged))


def test_bad_key_is_refused() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey"):
        WecomCrypto(TOKEN, "short", CORP_ID)
