"""In a group the bot is spoken to only by an @-mention: a message to it that is no request gets a brief answer,
except thanks and acknowledgements, which need none (end to end through the sandbox)."""

from __future__ import annotations

import pytest

from models import NonRequest, Request

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"


def answers(service) -> list[str]:
    return [b["markdown"]["content"] for b in service.fake.bodies("aibot/response")]


@pytest.mark.parametrize("text", ["今天天气真好", "你好啊", "网格哨是干啥的"])
async def test_a_non_request_said_to_the_bot_gets_a_brief_answer(driven_service, text):
    await driven_service.wecom.aibot_text("fengbaolin", text, chatid=GRID3_CHAT)
    await driven_service.settle()
    (answer,) = answers(driven_service)
    assert "有事要反映" in answer and "三屯的桥塌了，车过不去" in answer
    assert await Request.all().count() == 0 and await NonRequest.all().count() == 1


@pytest.mark.parametrize("text", ["收到", "谢谢", "好的，谢谢！", "收到👍", "辛苦了"])
async def test_thanks_and_acknowledgements_get_no_answer(driven_service, text):
    await driven_service.wecom.aibot_text("fengbaolin", text, chatid=GRID3_CHAT)
    await driven_service.settle()
    assert answers(driven_service) == []
    assert await NonRequest.all().count() == 1
