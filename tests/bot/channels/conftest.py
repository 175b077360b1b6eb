"""Fixtures for the channels: a client that plays WeCom's callbacks (encrypted and signed with the service's
own keys) against the running `service` (tests/bot/conftest.py).
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.channels.crypto import WecomCrypto
from bot.clock import ManualClock
from bot.sandbox.harness import DrivenService


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


@dataclass
class WecomPeer:
    """Plays WeCom: encrypts and signs callbacks for the service, and opens its passive replies."""

    http: aiohttp.ClientSession
    service: Any  # the `service` of tests/bot/conftest.py
    app_crypto: WecomCrypto
    aibot_crypto: WecomCrypto
    clock: ManualClock

    def _query(self, sealed_sig: str, ts: str, nonce: str) -> dict[str, str]:
        return {"msg_signature": sealed_sig, "timestamp": ts, "nonce": nonce}

    def app_envelope(self, plain_xml: str, *, crypto: WecomCrypto | None = None) -> tuple[dict[str, str], str]:
        sealed = (crypto or self.app_crypto).seal(plain_xml, timestamp=self._ts(), nonce=self._nonce())
        body = (
            f"<xml><ToUserName><![CDATA[{self.service.settings.wecom.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        )
        return self._query(sealed.signature, sealed.timestamp, sealed.nonce), body

    async def post_app(self, plain_xml: str, **kw: Any) -> Answer:
        query, body = self.app_envelope(plain_xml, **kw)
        return await self.post("/wecom/app", query, body)

    def aibot_envelope(self, message: dict[str, Any]) -> tuple[dict[str, str], str]:
        sealed = self.aibot_crypto.seal(
            json.dumps(message, ensure_ascii=False), timestamp=self._ts(), nonce=self._nonce()
        )
        return self._query(sealed.signature, sealed.timestamp, sealed.nonce), json.dumps({"encrypt": sealed.encrypt})

    async def post_aibot(self, message: dict[str, Any]) -> Answer:
        query, body = self.aibot_envelope(message)
        return await self.post("/wecom/aibot", query, body)

    async def post(self, path: str, query: dict[str, str], body: str | bytes | io.BytesIO) -> Answer:
        async with self.http.post(self.service.base_url + path, params=query, data=body) as response:
            return Answer(response.status, await response.read(), response.content_type)

    async def verify(self, path: str, crypto: WecomCrypto, plaintext: str) -> Answer:
        sealed = crypto.seal(plaintext, timestamp=self._ts(), nonce=self._nonce())
        query = dict(self._query(sealed.signature, sealed.timestamp, sealed.nonce), echostr=sealed.encrypt)
        async with self.http.get(self.service.base_url + path, params=query) as response:
            return Answer(response.status, await response.read(), response.content_type)

    def _ts(self) -> str:
        return str(int(self.clock.now().timestamp()))

    @staticmethod
    def _nonce() -> str:
        return str(secrets.randbelow(10**9))


@pytest.fixture
async def peer(service: Any, clock: ManualClock) -> AsyncIterator[WecomPeer]:
    wecom = service.settings.wecom
    async with aiohttp.ClientSession() as http:
        yield WecomPeer(
            http,
            service,
            WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id),
            WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, ""),
            clock,
        )


@pytest.fixture
def driven(driven_service: DrivenService) -> DrivenService:
    """The whole service driven by hand (tests/conftest.py): for what an adapter's normalising changes in the
    answer a person gets."""
    return driven_service
