"""WeCom's side of the callbacks: signed posts from distinct villagers, re-posted until answered 200."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass

import aiohttp

from bot.channels.crypto import WecomCrypto
from bot.sandbox.fake_wecom import FakeWecom
from config.settings import WecomSettings

GROUP_CHAT = "wrkSFfCgAAhoudaolao3"  # a grid group of the demo county the AI bot serves
TEXTS = (
    "村口路灯坏了三天了，晚上看不见路",
    "三屯那个桥塌了一半，车过不去",
    "我家自来水停了三天了",
    "屯里垃圾好几天没人拉了",
    "道边的树倒了，挡着路",
)
INTAKE_PATIENCE = 40.0  # the sender re-posts an unanswered callback every 2 s for this long


@dataclass
class Message:
    ident: str  # the inbox row's message key (MsgId / msgid)
    channel: str  # app | aibot | kf
    userid: str  # or the kf villager's external_userid
    response_code: str = ""  # the AI bot's response_url code: its answer goes there


class Sender:
    """Posts signed callbacks like WeCom: an answer other than 200 (or none within 5 s) is posted again,
    every 2 s, for up to INTAKE_PATIENCE seconds. `copies=2` posts two copies at once (a retry racing
    the first try); `acknowledged` holds the ids the service answered 200."""

    def __init__(self, http: aiohttp.ClientSession, service_url: str, wecom: WecomSettings, fake: FakeWecom) -> None:
        self.http = http
        self.service_url = service_url
        self.wecom = wecom
        self.fake = fake
        self.app_crypto = WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id)
        self.aibot_crypto = WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, "")
        self.acknowledged: set[str] = set()
        self.copies = 1
        self._ids = itertools.count(int(time.time()) * 1000)

    async def send(self, scenario: str, i: int) -> Message:
        """Villager i of the scenario says one of TEXTS: 1:1 to the app, in a grid group to the AI bot, or
        to customer service (queued in the fake, announced by the kf event), in turn."""
        text = TEXTS[i % len(TEXTS)]
        userid = f"fv{scenario[:8]}{i:04d}"
        now = int(time.time())
        if i % 3 == 2:
            token = self.fake.queue_kf_message(self.wecom.kf.open_kfid, userid, text)
            message = Message(self.fake.kf_messages[-1].item["msgid"], "kf", userid)
            plain = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
                f"<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{self.wecom.kf.open_kfid}]]></OpenKfId></xml>"
            )
            sealed = self.app_crypto.seal(plain, timestamp=now)
            body, path = self._app_envelope(sealed.encrypt), "/wecom/app"
        elif i % 3 == 0:
            message = Message(str(next(self._ids)), "app", userid)
            plain = (
                f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{userid}]]></FromUserName><CreateTime>{now}</CreateTime>"
                f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
                f"<MsgId>{message.ident}</MsgId><AgentID>{self.wecom.app.agent_id}</AgentID></xml>"
            )
            sealed = self.app_crypto.seal(plain, timestamp=now)
            body, path = self._app_envelope(sealed.encrypt), "/wecom/app"
        else:
            url = self.fake.response_url()
            message = Message(f"aibot{next(self._ids)}", "aibot", userid, url.rsplit("=", 1)[1])
            plain = json.dumps(
                {
                    "msgid": message.ident,
                    "aibotid": "aibsandbox",
                    "chattype": "group",
                    "chatid": GROUP_CHAT,
                    "from": {"userid": userid},
                    "response_url": url,
                    "msgtype": "text",
                    "text": {"content": f"@{self.wecom.aibot.name} {text}"},
                },
                ensure_ascii=False,
            )
            sealed = self.aibot_crypto.seal(plain, timestamp=now)
            body = json.dumps({"encrypt": sealed.encrypt})
            path = "/wecom/aibot"
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
        await asyncio.gather(*(self._post(message.ident, path, query, body) for _ in range(self.copies)))
        return message

    def _app_envelope(self, encrypt: str) -> str:
        return (
            f"<xml><ToUserName><![CDATA[{self.wecom.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        )

    async def _post(self, ident: str, path: str, query: dict[str, str], body: str) -> None:
        deadline = time.monotonic() + INTAKE_PATIENCE
        while True:
            try:
                async with self.http.post(
                    self.service_url + path,
                    params=query,
                    data=body.encode("utf-8"),
                    timeout=aiohttp.ClientTimeout(total=5),
                ) as response:
                    await response.read()
                    if response.status == 200:
                        self.acknowledged.add(ident)
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(2)
