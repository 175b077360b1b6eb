"""Plays WeCom's side of the callbacks: encrypted, signed posts to the service, the way WeCom sends them.

- self-built app: XML text / voice (with Recognition) / image / event / template_card_event to /wecom/app;
- AI bot: JSON text / mixed / enter_chat / template_card_event to /wecom/aibot, each with a response_url
  the fake WeCom API server handed out (so the answer lands in the sandbox's record);
- customer service (kf): the message is queued in the fake server, then the `kf_msg_or_event` event is
  posted to /wecom/app and the service pulls it with kf/sync_msg.
`repeats=n` posts the same callback n times, as WeCom does when an answer takes longer than 5 s.
The demo's browser page and the tests drive the service through this client.
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp
from defusedxml import ElementTree as SafeXml

from bot.channels.crypto import WecomCrypto
from bot.clock import Clock
from bot.sandbox.fake_wecom import FakeWecom
from config.settings import WecomSettings


@dataclass(frozen=True)
class CallbackAnswer:
    """What the service answered: HTTP status, raw body, and the decrypted passive reply if there was one."""

    status: int
    body: bytes
    reply: str = ""


def _cdata(value: object) -> str:
    return "<![CDATA[" + str(value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _xml(fields: dict[str, Any]) -> str:
    """A WeCom plaintext XML message; strings in CDATA, numbers bare, as WeCom writes them."""
    parts = [f"<{k}>{v if isinstance(v, int) else _cdata(v)}</{k}>" for k, v in fields.items()]
    return "<xml>" + "".join(parts) + "</xml>"


class CallbackClient:
    """Sends callbacks to the service at `service_url` (e.g. http://127.0.0.1:8080).

    wecom: the service's WeCom settings (tokens, keys, corp id, bot name).
    fake: the running fake WeCom API (for response URLs, kf messages and media).
    """

    def __init__(
        self, http: aiohttp.ClientSession, service_url: str, wecom: WecomSettings, clock: Clock, fake: FakeWecom
    ) -> None:
        self.http = http
        self.service_url = service_url.rstrip("/")
        self.wecom = wecom
        self.clock = clock
        self.fake = fake
        self.app_crypto = WecomCrypto(wecom.app.token, wecom.app.encoding_aes_key, wecom.corp_id)
        self.aibot_crypto = WecomCrypto(wecom.aibot.token, wecom.aibot.encoding_aes_key, "")
        self._ids = itertools.count(int(clock.now().timestamp()) * 1000)

    # -- the self-built app ----------------------------------------------------------------------

    async def app_text(self, user: str, text: str, *, repeats: int = 1) -> CallbackAnswer:
        return await self.app_message(user, "text", {"Content": text}, repeats=repeats)

    async def app_voice(self, user: str, recognition: str, *, repeats: int = 1) -> CallbackAnswer:
        media_id = self._media("voice", b"#!AMR\n" + secrets.token_bytes(32), "audio/amr")
        fields = {"MediaId": media_id, "Format": "amr", "Recognition": recognition}
        return await self.app_message(user, "voice", fields, repeats=repeats)

    async def app_image(self, user: str, content: bytes = b"", *, repeats: int = 1) -> CallbackAnswer:
        media_id = self._media("image", content or b"\xff\xd8\xff\xe0sandbox-photo", "image/jpeg")
        fields = {"PicUrl": f"{self.fake.base_url}/_sandbox/media/{media_id}", "MediaId": media_id}
        return await self.app_message(user, "image", fields, repeats=repeats)

    async def app_message(self, user: str, msgtype: str, fields: dict[str, Any], *, repeats: int = 1) -> CallbackAnswer:
        xml = _xml(
            {
                "ToUserName": self.wecom.corp_id,
                "FromUserName": user,
                "CreateTime": self._now(),
                "MsgType": msgtype,
                **fields,
                "MsgId": next(self._ids),
                "AgentID": self.wecom.app.agent_id,
            }
        )
        return await self.post_app_xml(xml, repeats=repeats)

    async def app_event(
        self, user: str, event: str, event_key: str = "", *, repeats: int = 1, **fields: Any
    ) -> CallbackAnswer:
        xml = _xml(
            {
                "ToUserName": self.wecom.corp_id,
                "FromUserName": user,
                "CreateTime": self._now(),
                "MsgType": "event",
                "Event": event,
                "EventKey": event_key,
                **fields,
                "AgentID": self.wecom.app.agent_id,
            }
        )
        return await self.post_app_xml(xml, repeats=repeats)

    async def app_card_click(self, user: str, event_key: str, task_id: str, *, repeats: int = 1) -> CallbackAnswer:
        """A click on a button card; the ResponseCode is one the fake server will accept for an update."""
        return await self.app_event(
            user,
            "template_card_event",
            event_key,
            repeats=repeats,
            TaskId=task_id,
            CardType="button_interaction",
            ResponseCode=self.fake.new_response_code(),
        )

    async def app_card_submit(
        self,
        user: str,
        event_key: str,
        task_id: str,
        selected: dict[str, list[str]],
        *,
        repeats: int = 1,
        response_code: str = "",
    ) -> CallbackAnswer:
        """A submit on a multiple_interaction card, with the options chosen in each drop-down list."""
        items = "".join(
            f"<SelectedItem><QuestionKey>{_cdata(question)}</QuestionKey><OptionIds>"
            + "".join(f"<OptionId>{_cdata(option)}</OptionId>" for option in options)
            + "</OptionIds></SelectedItem>"
            for question, options in selected.items()
        )
        flat = _xml(
            {
                "ToUserName": self.wecom.corp_id,
                "FromUserName": user,
                "CreateTime": self._now(),
                "MsgType": "event",
                "Event": "template_card_event",
                "EventKey": event_key,
                "TaskId": task_id,
                "CardType": "multiple_interaction",
                "ResponseCode": response_code or self.fake.new_response_code(),
                "AgentID": self.wecom.app.agent_id,
            }
        )
        xml = flat.removesuffix("</xml>") + f"<SelectedItems>{items}</SelectedItems></xml>"
        return await self.post_app_xml(xml, repeats=repeats)

    async def post_app_xml(self, plain_xml: str, *, repeats: int = 1) -> CallbackAnswer:
        sealed = self.app_crypto.seal(plain_xml, timestamp=self._now())
        body = _xml(
            {"ToUserName": self.wecom.corp_id, "Encrypt": sealed.encrypt, "AgentID": str(self.wecom.app.agent_id)}
        )
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
        answer = await self._post("/wecom/app", query, body, repeats)
        return CallbackAnswer(answer.status, answer.body, self._open_app_reply(answer.body))

    # -- the AI bot ------------------------------------------------------------------------------

    async def aibot_text(
        self, user: str, text: str, *, chatid: str = "", mention: bool = True, repeats: int = 1
    ) -> CallbackAnswer:
        """A message to the bot; in a group (chatid set) it carries the "@name " mention, as WeCom's does."""
        content = f"@{self.wecom.aibot.name} {text}" if chatid and mention else text
        return await self.aibot_message(user, "text", {"text": {"content": content}}, chatid=chatid, repeats=repeats)

    async def aibot_mixed(
        self, user: str, text: str, image_urls: list[str], *, chatid: str = "", repeats: int = 1
    ) -> CallbackAnswer:
        content = f"@{self.wecom.aibot.name} {text}" if chatid else text
        items = [{"msgtype": "text", "text": {"content": content}}]
        items += [{"msgtype": "image", "image": {"url": url}} for url in image_urls]
        return await self.aibot_message(user, "mixed", {"mixed": {"msg_item": items}}, chatid=chatid, repeats=repeats)

    async def aibot_enter_chat(self, user: str, *, repeats: int = 1) -> CallbackAnswer:
        return await self.aibot_message(user, "event", {"event": {"eventtype": "enter_chat"}}, repeats=repeats)

    async def aibot_card_click(
        self, user: str, event_key: str, task_id: str, *, chatid: str = "", repeats: int = 1
    ) -> CallbackAnswer:
        event = {
            "eventtype": "template_card_event",
            "template_card_event": {"card_type": "button_interaction", "event_key": event_key, "task_id": task_id},
        }
        return await self.aibot_message(user, "event", {"event": event}, chatid=chatid, repeats=repeats)

    async def aibot_message(
        self, user: str, msgtype: str, body: dict[str, Any], *, chatid: str = "", repeats: int = 1
    ) -> CallbackAnswer:
        message: dict[str, Any] = {
            "msgid": f"aibot{next(self._ids)}",
            "aibotid": "aibsandbox",
            "chattype": "group" if chatid else "single",
            "from": {"userid": user, **({"corpid": self.wecom.corp_id} if msgtype == "event" else {})},
            "response_url": self.fake.response_url(),
            "msgtype": msgtype,
            **body,
        }
        if chatid:
            message["chatid"] = chatid
        if msgtype == "event":
            message["create_time"] = self._now()
        return await self.post_aibot_json(message, repeats=repeats)

    async def post_aibot_json(self, message: dict[str, Any], *, repeats: int = 1) -> CallbackAnswer:
        sealed = self.aibot_crypto.seal(json.dumps(message, ensure_ascii=False), timestamp=self._now())
        query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
        answer = await self._post("/wecom/aibot", query, json.dumps({"encrypt": sealed.encrypt}), repeats)
        return CallbackAnswer(answer.status, answer.body, self._open_aibot_reply(answer.body))

    # -- customer service (kf) -------------------------------------------------------------------

    async def kf_text(
        self, external_userid: str, text: str, *, open_kfid: str = "", repeats: int = 1
    ) -> CallbackAnswer:
        """A villager writes to customer service: queued in the fake server, announced by the event."""
        open_kfid = open_kfid or self.wecom.kf.open_kfid
        token = self.fake.queue_kf_message(open_kfid, external_userid, text)
        return await self.kf_event(open_kfid, token, repeats=repeats)

    async def kf_enter_session(
        self, external_userid: str, scene: str, scene_param: str = "", *, open_kfid: str = ""
    ) -> CallbackAnswer:
        """A villager opens the grid's kf link or QR code (scene names the grid)."""
        open_kfid = open_kfid or self.wecom.kf.open_kfid
        event = {
            "event_type": "enter_session",
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "scene": scene,
            "scene_param": scene_param,
            "welcome_code": secrets.token_hex(8),
        }
        token = self.fake.queue_kf_message(open_kfid, external_userid, msgtype="event", body=event, origin=4)
        return await self.kf_event(open_kfid, token)

    async def kf_event(self, open_kfid: str, token: str, *, repeats: int = 1) -> CallbackAnswer:
        xml = _xml(
            {
                "ToUserName": self.wecom.corp_id,
                "CreateTime": self._now(),
                "MsgType": "event",
                "Event": "kf_msg_or_event",
                "Token": token,
                "OpenKfId": open_kfid,
            }
        )
        return await self.post_app_xml(xml, repeats=repeats)

    # -- plumbing --------------------------------------------------------------------------------

    async def _post(self, path: str, query: dict[str, str], body: str, repeats: int) -> CallbackAnswer:
        answer = CallbackAnswer(0, b"")
        for _ in range(max(1, repeats)):  # a retry is the same request again
            async with self.http.post(self.service_url + path, params=query, data=body.encode("utf-8")) as response:
                answer = CallbackAnswer(response.status, await response.read())
        return answer

    def _open_app_reply(self, body: bytes) -> str:
        if not body.strip().startswith(b"<"):
            return ""
        root = SafeXml.fromstring(body)
        encrypt, signature = root.findtext("Encrypt") or "", root.findtext("MsgSignature") or ""
        return self.app_crypto.decrypt(
            signature, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "", encrypt
        )

    def _open_aibot_reply(self, body: bytes) -> str:
        if not body.strip().startswith(b"{"):
            return ""
        sealed = json.loads(body)
        return self.aibot_crypto.decrypt(
            sealed["msgsignature"], str(sealed["timestamp"]), str(sealed["nonce"]), sealed["encrypt"]
        )

    def _media(self, kind: str, content: bytes, content_type: str) -> str:
        media_id = f"{kind}{secrets.token_hex(10)}"
        self.fake.add_media(media_id, content, content_type)
        return media_id

    def _now(self) -> int:
        return int(self.clock.now().timestamp())
