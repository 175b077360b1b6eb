"""Odd text from outside, through the adapters into the real dispatcher: invisible characters do not hide
a command, an empty text gets an answer about being empty, a lone surrogate does not make a message
vanish, and full-width text is matched folded but kept as typed."""

from __future__ import annotations

import json

import pytest

from bot.channels.text import MAX_TEXT
from bot.sandbox.harness import DrivenService
from models import InboxMessage, Request

COMMITTEE = "zhangwei"  # 白山镇 township committee
LIAISON = "liutao"  # transport's liaison
VILLAGER = "jiangdahai"


async def answer_to(driven: DrivenService, user: str, text: str) -> str:
    before = len(driven.texts_to(user))
    await driven.wecom.app_text(user, text)
    await driven.settle()
    [answer] = driven.texts_to(user)[before:]
    return answer


@pytest.mark.parametrize(
    ("user", "plain", "odd"),
    [
        (COMMITTEE, "督办", "\ufeff督办"),
        (COMMITTEE, "督办", "\u200b督办"),
        (COMMITTEE, "督办 #9999", "\u202d督办 ＃９９９９"),
        (LIAISON, "报到", "报\u200b到"),
        (LIAISON, "报到", "报\u2060到\u00ad"),
        (LIAISON, "报到", "报\u200d到"),
    ],
)
async def test_invisible_characters_do_not_hide_a_command(driven, user: str, plain: str, odd: str) -> None:
    small_talk = await answer_to(driven, user, "今天天气不错")
    expected = await answer_to(driven, user, plain)
    assert expected != small_talk
    assert await answer_to(driven, user, odd) == expected


@pytest.mark.parametrize("text", ["", "   ", "\u3000\u3000", "\u200b\ufeff", "\n\t\n"])
async def test_an_empty_text_gets_an_answer_about_being_empty(driven, text: str) -> None:
    answer = await answer_to(driven, VILLAGER, text)
    assert "空的" in answer and "照片" not in answer
    assert await Request.all().count() == 0


async def test_a_voice_without_recognised_words_is_answered_as_a_voice(driven) -> None:
    before = len(driven.texts_to(VILLAGER))
    await driven.wecom.app_voice(VILLAGER, "")
    await driven.settle()
    [answer] = driven.texts_to(VILLAGER)[before:]
    assert "语音" in answer and "照片" not in answer


async def test_a_lone_surrogate_does_not_make_a_message_vanish(driven) -> None:
    """JSON can carry half a UTF-16 pair (\\ud800); it becomes U+FFFD and the report is recorded and answered."""
    message = {
        "msgid": "surrogate1",
        "chattype": "single",
        "from": {"userid": VILLAGER},
        "response_url": driven.fake.response_url(),
        "msgtype": "text",
        "text": {"content": "三屯那个桥塌了一半，车过不去\ud800"},
    }
    sealed = driven.wecom.aibot_crypto.seal(json.dumps(message), timestamp=int(driven.clock.now().timestamp()))
    query = {"msg_signature": sealed.signature, "timestamp": sealed.timestamp, "nonce": sealed.nonce}
    url = driven.wecom.service_url + "/wecom/aibot"
    async with driven.wecom.http.post(url, params=query, data=json.dumps({"encrypt": sealed.encrypt})) as response:
        assert response.status == 200
    await driven.settle()
    row = await InboxMessage.get()
    assert row.status == "done" and not row.error
    request = await Request.get()
    assert request.text == "三屯那个桥塌了一半，车过不去\ufffd"
    assert driven.fake.bodies("aibot/response")


@pytest.mark.parametrize("prefix", ["", "报事 ", "\ufeff报事\u3000"])
async def test_full_width_text_is_kept_as_typed(driven, prefix: str) -> None:
    """Commands and the router read ＃ and １ folded; what is stored keeps the villager's full-width punctuation."""
    await driven.wecom.app_text(VILLAGER, prefix + "三屯那个桥塌了一半，车过不去！（急）")
    await driven.settle()
    assert (await Request.get()).text == "三屯那个桥塌了一半，车过不去！（急）"


async def test_a_long_text_is_capped_and_kept_whole_as_an_attachment(driven) -> None:
    long = "三屯那个桥塌了一半，车过不去。" + "水" * (MAX_TEXT + 500)
    await driven.wecom.app_text(VILLAGER, long)
    await driven.settle()
    payload = (await InboxMessage.get()).payload
    assert len(payload["text"]) == MAX_TEXT and long.startswith(payload["text"])
    assert payload["extra"]["full_text"] == long


async def test_refusals_name_the_number_they_refuse(driven) -> None:
    """Replies that lost their number read "# 不属于您所在的乡镇" and "没有找到 # 号哨单"."""
    await driven.wecom.app_text(VILLAGER, "三屯那个桥塌了一半，车过不去")  # 白山镇: a proposal, not yet whistled
    await driven.settle()
    number = (await Request.get()).number
    for command in (f"吹哨 #{number} 交通局", f"改派 #{number} 水务局"):
        answer = await answer_to(driven, "chenjing", command)  # 龙兴镇's committee
        assert answer.startswith(f"#{number} 不属于您所在的乡镇")
    await driven.wecom.app_card_click(LIAISON, "duty:on:999999:transport", "gw-duty-gone")
    await driven.settle()
    answer = driven.texts_to(LIAISON)[-1]
    assert "找不到" in answer and "#" not in answer
