"""The sandbox's callback client against the real service: encrypted callbacks land as one inbox row each."""

from __future__ import annotations

import pytest

from bot.keys import INBOX, KF
from bot.keys import SETTINGS as SETTINGS_KEY
from bot.sandbox.callbacks import CallbackClient
from models import InboxMessage


@pytest.fixture
def wecom_side(service, clock, fake_wecom, http) -> CallbackClient:
    """The sandbox's callback client against `service` (tests/bot/conftest.py: inbox rows are only marked done)."""
    return CallbackClient(http, service.base_url, service.app[SETTINGS_KEY].wecom, clock, fake_wecom.state)


async def rows(channel: str) -> list[dict]:
    return [r.payload for r in await InboxMessage.filter(channel=channel).order_by("id")]


async def test_app_text_retried_three_times_is_one_row(wecom_side):
    answer = await wecom_side.app_text("zhangwei", "村口路灯坏了", repeats=3)
    assert answer.status == 200
    (row,) = await rows("app")
    assert row["sender"] == "zhangwei" and row["text"] == "村口路灯坏了" and row["kind"] == "text"


async def test_app_voice_uses_wecom_recognition(wecom_side):
    await wecom_side.app_voice("zhangwei", "我家的水管冻裂了")
    (row,) = await rows("app")
    assert row["kind"] == "voice" and row["text"] == "我家的水管冻裂了"


async def test_app_image_names_media_the_sandbox_serves(wecom_side, fake_wecom, http):
    await wecom_side.app_image("zhangwei", b"\xff\xd8photo-of-the-pothole")
    (row,) = await rows("app")
    assert row["kind"] == "image"
    media_id = next(v for v in row["extra"].values() if isinstance(v, str) and v.startswith("image"))
    async with http.get(f"{fake_wecom.base_url}/_sandbox/media/{media_id}") as response:
        assert await response.read() == b"\xff\xd8photo-of-the-pothole"


async def test_card_click_gets_a_passive_update_button(wecom_side):
    answer = await wecom_side.app_card_click("liaison1", "duty:1042", "t1042")
    assert answer.status == 200 and "update_button" in answer.reply
    (row,) = await rows("app")
    assert row["kind"] == "card_click"


async def test_app_event_is_stored(wecom_side):
    answer = await wecom_side.app_event("zhangwei", "enter_agent")
    assert answer.status == 200


async def test_aibot_group_text_is_stripped_and_carries_the_response_url(wecom_side, fake_wecom):
    answer = await wecom_side.aibot_text("zhangwei", "三道沟屯停电了", chatid="wrgrid01", repeats=2)
    assert answer.status == 200
    (row,) = await rows("aibot")
    assert row["text"] == "三道沟屯停电了" and row["conversation"] == "wrgrid01"
    assert row["reply"]["response_url"].startswith(fake_wecom.base_url)


async def test_aibot_mixed_and_enter_chat(wecom_side):
    await wecom_side.aibot_mixed("zhangwei", "看这张照片", ["http://127.0.0.1:9/x.jpg"], chatid="wrgrid01")
    await wecom_side.aibot_enter_chat("zhangwei")
    kinds = [r["kind"] for r in await rows("aibot")]
    assert kinds[0] in ("text", "image") and kinds[1] == "enter"


async def test_aibot_card_click(wecom_side):
    await wecom_side.aibot_card_click("liaison1", "satisfied:1042", "t1042")
    (row,) = await rows("aibot")
    assert row["kind"] == "card_click"


async def test_kf_message_is_pulled_once_even_when_the_event_is_retried(wecom_side, service, fake_wecom):
    app = service.app
    answer = await wecom_side.kf_text("wmvillager1", "我想问问低保怎么申请", repeats=2)
    assert answer.status == 200
    await app[KF].until_idle()
    await app[INBOX].until_idle()
    (row,) = await rows("kf")
    assert row["sender"] == "wmvillager1" and row["text"] == "我想问问低保怎么申请"
    assert fake_wecom.state.calls("kf/sync_msg", ok=True)
