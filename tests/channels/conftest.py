"""Fixtures for the channels: the WeCom sandbox on an unused port, the service on another, and a
client that plays WeCom's callbacks (encrypted and signed with the service's own keys).
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
from aiohttp import web

from bot import inbox
from bot.app import create_app
from bot.channels.crypto import WecomCrypto
from bot.clock import ManualClock
from bot.keys import INBOX, KF
from bot.sandbox.fake_wecom import RunningFakeWecom, running_fake_wecom
from config.settings import Settings


@pytest.fixture
async def fake_wecom(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningFakeWecom]:
    app = settings.wecom.app
    async with running_fake_wecom(settings.wecom.corp_id, {str(app.agent_id): app.secret}, clock=clock) as running:
        yield running


@pytest.fixture
def service_settings(settings: Settings, fake_wecom: RunningFakeWecom) -> Settings:
    """The test's database, WeCom replaced by the sandbox."""
    return settings.model_copy(update={"wecom": settings.wecom.model_copy(update={"api_base": fake_wecom.api_base})})


@dataclass
class Service:
    """One running instance of the service on loopback; `stop()` is a process ending, `start()` a new one."""

    settings: Settings
    clock: ManualClock
    options: dict[str, Any]
    runner: web.AppRunner | None = None
    base_url: str = ""

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app

    async def start(self, **options: Any) -> "Service":
        opts = {"process": inbox.mark_done(self.clock), "load_org": False, "background": False, "migrate": False,
                **self.options, **options}
        app = create_app(self.settings, clock=self.clock, **opts)
        self.runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def settled(self) -> None:
        """Wait (without sleeping) until kf pulls and the inbox worker have nothing left to do."""
        await self.app[KF].until_idle()
        await self.app[INBOX].until_idle()


@pytest.fixture
async def service(service_settings: Settings, clock: ManualClock) -> AsyncIterator[Service]:
    svc = Service(service_settings, clock, {})
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str


@dataclass
class WecomPeer:
    """Plays WeCom: encrypts and signs callbacks for the service, and opens its passive replies."""

    http: aiohttp.ClientSession
    service: Service
    app_crypto: WecomCrypto
    aibot_crypto: WecomCrypto
    clock: ManualClock

    def _query(self, sealed_sig: str, ts: str, nonce: str) -> dict[str, str]:
        return {"msg_signature": sealed_sig, "timestamp": ts, "nonce": nonce}

    def app_envelope(self, plain_xml: str, *, crypto: WecomCrypto | None = None) -> tuple[dict[str, str], str]:
        sealed = (crypto or self.app_crypto).seal(plain_xml, timestamp=self._ts(), nonce=self._nonce())
        body = (f"<xml><ToUserName><![CDATA[{self.service.settings.wecom.corp_id}]]></ToUserName>"
                f"<Encrypt><![CDATA[{sealed.encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>")
        return self._query(sealed.signature, sealed.timestamp, sealed.nonce), body

    async def post_app(self, plain_xml: str, **kw: Any) -> Answer:
        query, body = self.app_envelope(plain_xml, **kw)
        return await self.post("/wecom/app", query, body)

    def aibot_envelope(self, message: dict[str, Any]) -> tuple[dict[str, str], str]:
        sealed = self.aibot_crypto.seal(json.dumps(message, ensure_ascii=False), timestamp=self._ts(), nonce=self._nonce())
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
async def peer(service: Service, clock: ManualClock) -> AsyncIterator[WecomPeer]:
    wecom = service.settings.wecom
    async with aiohttp.ClientSession() as http:
        yield WecomPeer(
            http, service,
            WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id),
            WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, ""),
            clock,
        )
