"""WeCom callback crypto (加解密方案, protocol notes §1.4–§1.5, §2.2) on wechatpy 1.8.18.

One `WecomCrypto` per callback endpoint: the self-built app (XML, receiveid = corp id) and the AI bot
(JSON, receiveid ""). Both directions are here because the sandbox plays WeCom with the same code:
the service verifies and decrypts, the sandbox encrypts and signs, passive replies go back encrypted.

wechatpy does the AES and the signing; decryption is checked here step by step because wechatpy's
own decrypt trusts the padding and fails with whatever error the bytes happen to cause. Each failure
is one exception type, so a view can answer 403 for a forged signature and 400 for a broken body.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import string
import struct
from dataclasses import dataclass

from wechatpy.crypto import _get_signature
from wechatpy.crypto.cryptography import WeChatCipher
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

BLOCK = 32  # WeCom pads PKCS#7 to 32 bytes, not AES's 16
RANDOM_LEN = 16
_ALPHANUM = string.ascii_letters + string.digits


class CryptoError(Exception):
    """A callback that cannot be trusted or read; the subclass says why."""


class BadSignature(CryptoError):
    """msg_signature does not match sha1(sort(token, timestamp, nonce, encrypt)): not from WeCom."""


class BadReceiveId(CryptoError):
    """Decrypted fine, but for another corp (or another bot): reference error -40005."""


class BadCiphertext(CryptoError):
    """Not base64, not whole AES blocks, bad padding or a length field that lies."""


@dataclass(frozen=True)
class Sealed:
    """An encrypted and signed payload, the four values WeCom puts on the wire."""

    encrypt: str
    signature: str
    timestamp: str
    nonce: str

    def xml(self) -> str:
        """The passive-reply envelope of the app callback (§1.7)."""
        return (
            f"<xml><Encrypt><![CDATA[{self.encrypt}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{self.signature}]]></MsgSignature>"
            f"<TimeStamp>{self.timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{self.nonce}]]></Nonce></xml>"
        )

    def json(self) -> str:
        """The encrypted reply body of the AI bot (§2.2); timestamp as a number, as the doc's example."""
        return json.dumps(
            {
                "encrypt": self.encrypt,
                "msgsignature": self.signature,
                "timestamp": int(self.timestamp),
                "nonce": self.nonce,
            },
            separators=(",", ":"),
        )


class _FixedPrefix(PrpCrypto):
    """PrpCrypto with a chosen 16-byte prefix: lets tests reproduce a published ciphertext exactly."""

    def __init__(self, key: bytes, prefix: bytes) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> bytes:
        return self._prefix


class WecomCrypto:
    """Sign, verify, encrypt and decrypt for one callback endpoint.

    token, encoding_aes_key: as entered in the WeCom console.
    receive_id: the corp id for a self-built app, "" for an AI bot.
    """

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            wechat = WeChatCrypto(token, encoding_aes_key, receive_id)
        except (AssertionError, binascii.Error, ValueError):
            raise ValueError("EncodingAESKey must be the 43 characters shown in the WeCom console") from None
        self.token = token
        self.receive_id = receive_id
        self._key = wechat.key
        self._cipher = WeChatCipher(self._key)

    # -- signatures ---------------------------------------------------------------------------

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return _get_signature(self.token, str(timestamp), str(nonce), encrypt)

    def check_signature(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), (signature or "").encode()):
            raise BadSignature("msg_signature does not match")

    # -- receiving ----------------------------------------------------------------------------

    def verify_url(self, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """The GET check when an admin saves the callback URL; returns the plaintext to echo."""
        echostr = echostr.replace(" ", "+")  # a raw '+' in the query decodes to a space (§1.2)
        self.check_signature(signature, timestamp, nonce, echostr)
        return self.open(echostr)

    def decrypt(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Verify the signature, then decrypt; raises BadSignature, BadCiphertext or BadReceiveId."""
        self.check_signature(signature, timestamp, nonce, encrypt)
        return self.open(encrypt)

    def open(self, encrypt: str) -> str:
        """Decrypt without a signature check (call check_signature first)."""
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise BadCiphertext("not base64") from None
        if not raw or len(raw) % 16:
            raise BadCiphertext("not whole AES blocks")
        plain = self._cipher.decrypt(raw)
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise BadCiphertext("bad padding")
        content = plain[RANDOM_LEN:-pad]
        if len(content) < 4:
            raise BadCiphertext("too short")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise BadCiphertext("length field exceeds the message")
        message, receive_id = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode()):
            raise BadReceiveId("receiveid does not match")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise BadCiphertext("message is not UTF-8") from None

    # -- sending (passive replies here, callbacks in the sandbox) -----------------------------

    def seal(
        self, plaintext: str, *, timestamp: str | int, nonce: str | None = None, random_prefix: bytes | None = None
    ) -> Sealed:
        """Encrypt and sign. The nonce defaults to a fresh one; the AI bot must echo the callback's."""
        nonce = nonce if nonce is not None else "".join(secrets.choice(string.digits) for _ in range(10))
        prefix = (
            random_prefix
            if random_prefix is not None
            else "".join(secrets.choice(_ALPHANUM) for _ in range(RANDOM_LEN)).encode()
        )
        if len(prefix) != RANDOM_LEN:
            raise ValueError("random_prefix must be 16 bytes")
        encrypt = _FixedPrefix(self._key, prefix).encrypt(plaintext, self.receive_id).decode("ascii")
        timestamp = str(timestamp)
        return Sealed(encrypt=encrypt, signature=self.sign(timestamp, nonce, encrypt), timestamp=timestamp, nonce=nonce)
