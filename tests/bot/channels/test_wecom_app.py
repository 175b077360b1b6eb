"""The app callback over real HTTP: URL check, messages and events into the inbox, passive card reply."""

from __future__ import annotations

from datetime import datetime

import defusedxml.ElementTree as SafeXml

from bot.channels.crypto import WecomCrypto
from bot.clock import SHANGHAI
from models import InboxMessage


def text_xml(msg_id: str = "7000000001", content: str = "村口路灯坏了", user: str = "zhangsan") -> str:
    return (
        f"<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    )


def card_xml(task_id: str = "ticket-1042", key: str = "duty:1042", create_time: int = 1700000100) -> str:
    return (
        f"<xml><ToUserName><![CDATA[corp]]></ToUserName><FromUserName><![CDATA[liaison-water]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{key}]]></EventKey>"
        f"<TaskId><![CDATA[{task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType>"
        f"<ResponseCode><![CDATA[rc-abc]]></ResponseCode><AgentID>1000002</AgentID>"
        f"<SelectedItems><SelectedItem><QuestionKey><![CDATA[q1]]></QuestionKey>"
        f"<OptionIds><OptionId><![CDATA[o2]]></OptionId></OptionIds></SelectedItem></SelectedItems></xml>"
    )


async def test_url_verification_echoes_plaintext(peer) -> None:
    response = await peer.verify("/wecom/app", peer.app_crypto, "1288432023552776189")
    assert response.status == 200
    assert response.body == b"1288432023552776189"


async def test_url_verification_with_tencent_vector(service, peer, clock) -> None:
    """Tencent's published GET, byte for byte, against a service configured with Tencent's sample keys."""
    await service.stop()
    wecom = service.settings.wecom.model_copy(
        update={
            "corp_id": "ww1436e0e65a779aee",
            "app": service.settings.wecom.app.model_copy(
                update={
                    "token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
                    "encoding_aes_key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
                }
            ),
        }
    )
    service.settings = service.settings.model_copy(update={"wecom": wecom})
    await service.start()
    url = (
        service.base_url + "/wecom/app?msg_signature=012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb&timestamp=1476416373"
        "&nonce=47744683&echostr=fsi1xnbH4yQh0%2BPJxcOdhhK6TDXkjMyhEPA7xB2TGz6b%2Bg7xyAbEkRxN%2F3cNXW9qdqjnoVzEtpbhnFyq6SVHyA%3D%3D"
    )
    async with peer.http.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"1288432023552776189"
    body = (
        "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCk"
        "aOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc"
        "+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJI"
        "ZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6a"
        "SDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
    )
    query = {
        "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
        "timestamp": "1476422779",
        "nonce": "1597212914",
    }
    clock.set(datetime.fromtimestamp(1476422779, SHANGHAI))  # the vector's own date, inside the timestamp window
    response = await peer.post("/wecom/app", query, body)
    assert response.status == 200
    row = await InboxMessage.get(channel="app", message_key="1456453720")
    assert (row.payload["sender"], row.payload["text"], row.payload["kind"]) == ("ChenJiaShun", "你好", "text")


async def test_text_message_is_stored_before_the_answer_and_processed(service, peer) -> None:
    response = await peer.post_app(text_xml())
    assert response.status == 200 and response.body == b""
    row = await InboxMessage.get(channel="app", message_key="7000000001")  # committed before the 200
    assert row.payload["text"] == "村口路灯坏了" and row.payload["sender"] == "zhangsan"
    assert row.payload["conversation"] == "" and row.payload["reply"] == {"agent_id": 1000002}
    await service.settled()
    await row.refresh_from_db()
    assert row.status == "done"


async def test_retried_callback_yields_one_row(service, peer) -> None:
    query, body = peer.app_envelope(text_xml("7000000002"))
    for _ in range(4):  # the first delivery and WeCom's three retries, byte for byte the same
        response = await peer.post("/wecom/app", query, body)
        assert response.status == 200
    query2, body2 = peer.app_envelope(text_xml("7000000002"))  # a retry re-encrypted with a new nonce
    assert (await peer.post("/wecom/app", query2, body2)).status == 200
    assert await InboxMessage.filter(message_key="7000000002").count() == 1


async def test_voice_image_file_and_enter(service, peer) -> None:
    base = "<ToUserName>c</ToUserName><FromUserName>lisi</FromUserName><CreateTime>1700000200</CreateTime>"
    await peer.post_app(
        f"<xml>{base}<MsgType>voice</MsgType><MediaId>m-voice</MediaId><Format>amr</Format>"
        f"<Recognition>自来水停了三天</Recognition><MsgId>71</MsgId><AgentID>1</AgentID></xml>"
    )
    await peer.post_app(
        f"<xml>{base}<MsgType>image</MsgType><PicUrl>http://p</PicUrl><MediaId>m-img</MediaId>"
        f"<MsgId>72</MsgId><AgentID>1</AgentID></xml>"
    )
    await peer.post_app(
        f"<xml>{base}<MsgType>file</MsgType><MediaId>m-file</MediaId><Title>材料.pdf</Title>"
        f"<MsgId>73</MsgId><AgentID>1</AgentID></xml>"
    )
    await peer.post_app(
        f"<xml>{base}<MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1</AgentID></xml>"
    )
    rows = {r.message_key: r.payload for r in await InboxMessage.filter(channel="app")}
    assert rows["71"]["kind"] == "voice" and rows["71"]["text"] == "自来水停了三天"
    assert rows["71"]["extra"]["media_id"] == "m-voice"
    assert rows["72"]["kind"] == "image" and rows["72"]["extra"]["media_id"] == "m-img"
    assert rows["73"]["kind"] == "file" and rows["73"]["extra"]["media_id"] == "m-file"
    assert rows["lisi:1700000200:enter_agent"]["kind"] == "enter"


async def test_unknown_types_are_answered_and_ignored(service, peer) -> None:
    base = "<ToUserName>c</ToUserName><FromUserName>lisi</FromUserName><CreateTime>1700000300</CreateTime>"
    for plain in (
        f"<xml>{base}<MsgType>link</MsgType><Url>u</Url><MsgId>81</MsgId></xml>",
        f"<xml>{base}<MsgType>event</MsgType><Event>change_contact</Event></xml>",
        f"<xml>{base}<MsgType>hologram</MsgType><MsgId>82</MsgId></xml>",
    ):
        response = await peer.post_app(plain)
        assert response.status == 200
    assert await InboxMessage.all().count() == 0


async def test_card_click_gets_update_button_and_one_row(service, peer) -> None:
    query, body = peer.app_envelope(card_xml())
    for _ in range(2):
        async with peer.http.post(service.base_url + "/wecom/app", params=query, data=body) as response:
            assert response.status == 200
            envelope = SafeXml.fromstring(await response.text())
        sig, ts, nonce = (envelope.findtext(t) for t in ("MsgSignature", "TimeStamp", "Nonce"))
        plain = peer.app_crypto.decrypt(sig, ts, nonce, envelope.findtext("Encrypt"))
        reply = SafeXml.fromstring(plain)
        assert reply.findtext("MsgType") == "update_button"
        assert reply.findtext("ToUserName") == "liaison-water"
        assert reply.findtext("Button/ReplaceName") == "已提交，正在处理"
    rows = await InboxMessage.filter(channel="app")
    assert len(rows) == 1
    payload = rows[0].payload
    assert payload["kind"] == "card_click"
    assert payload["extra"]["event_key"] == "duty:1042" and payload["extra"]["task_id"] == "ticket-1042"
    assert payload["extra"]["response_code"] == "rc-abc"
    assert payload["extra"]["selected_items"] == [{"question_key": "q1", "option_ids": ["o2"]}]


async def test_two_cards_clicked_in_one_second_are_two_rows(service, peer) -> None:
    await peer.post_app(card_xml("ticket-1", "duty:1"))
    await peer.post_app(card_xml("ticket-2", "duty:2"))
    assert await InboxMessage.filter(channel="app").count() == 2


async def test_two_buttons_of_one_card_in_one_second_are_two_rows(service, peer) -> None:
    await peer.post_app(card_xml("ticket-1", "duty:on_duty:1"))
    await peer.post_app(card_xml("ticket-1", "duty:done:1"))
    await peer.post_app(card_xml("ticket-1", "duty:done:1"))  # WeCom's retry of the second click
    assert await InboxMessage.filter(channel="app").count() == 2


async def test_kf_event_triggers_a_pull_not_a_row(service, peer, fake_wecom) -> None:
    token = fake_wecom.state.queue_kf_message("wkgridwhistledemo", "wm-villager", "你好")
    await peer.post_app(
        "<xml><ToUserName>c</ToUserName><CreateTime>1700000400</CreateTime><MsgType>event</MsgType>"
        f"<Event>kf_msg_or_event</Event><Token>{token}</Token><OpenKfId>wkgridwhistledemo</OpenKfId></xml>"
    )
    await service.settled()
    assert [c.body["token"] for c in fake_wecom.state.calls("kf/sync_msg")] == [token]
    assert await InboxMessage.filter(channel="app").count() == 0
    assert await InboxMessage.filter(channel="kf").count() == 1


async def test_wrong_corp_is_400(service, peer) -> None:
    other = WecomCrypto(peer.app_crypto.token, service.settings.wecom.app.encoding_aes_key, "wwsomeoneelse")
    response = await peer.post_app(text_xml("90"), crypto=other)
    assert response.status == 400
    assert await InboxMessage.all().count() == 0
