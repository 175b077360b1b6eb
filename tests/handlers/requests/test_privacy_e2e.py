"""Personal details end to end (the real service, WeCom played by the sandbox): a report full of contact details
is still a request, recorded and answered in its group; whatever a group reads — the answer, a department's
进展 passed on to the reporter's group, the joint chat — shows no number in full."""

from __future__ import annotations

import json

from bot.sandbox.harness import DrivenService
from models import Request, Ticket

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"
GRID3_WEBHOOK = "00000000-demo-4a00-8000-houdaolao003"
GROUP_PATHS = ("aibot/response", "webhook/send", "appchat/create", "appchat/send")
REPORT = "我家电话13812345678 身份证号110101199003071234 住王家屯8号 房顶漏雨了塌了一块"


def group_bodies(service: DrivenService) -> str:
    return "\n".join(json.dumps(b, ensure_ascii=False) for path in GROUP_PATHS for b in service.fake.bodies(path))


async def test_a_report_with_contact_details_is_recorded_and_answered_in_the_group(driven_service):
    service = driven_service
    await service.wecom.aibot_text("fengbaolin", REPORT, chatid=GRID3_CHAT)
    await service.settle()
    (request,) = await Request.all()
    assert request.primary == "housing" and request.text == REPORT  # the cadres who handle it read it whole
    (answer,) = [b["markdown"]["content"] for b in service.fake.bodies("aibot/response")]
    assert f"#{request.number}" in answer
    posted = group_bodies(service)
    assert "13812345678" not in posted and "110101199003071234" not in posted


async def test_progress_with_numbers_reaches_the_groups_masked(driven_service):
    service = driven_service
    await service.wecom.aibot_text("fengbaolin", "三屯那个桥塌了 拖拉机过不去", chatid=GRID3_CHAT)
    await service.settle()
    (request,) = await Request.all()
    await service.wecom.app_card_click("zhangwei", f"whistle:confirm:{request.number}", f"gw-c-{request.number}")
    await service.settle()
    ticket = await Ticket.get(request_id=request.id)
    await service.wecom.app_text("liutao", f"签收 #{ticket.number}")
    await service.settle()
    await service.wecom.app_text(
        "liutao", f"进展 #{ticket.number} 施工队电话+8613912345678，户主老身份证110101900307123，住三屯17号"
    )
    await service.later(minutes=3)
    webhook = [
        c.body["text"]["content"]
        for c in service.fake.calls("webhook/send", ok=True)
        if c.params.get("key") == GRID3_WEBHOOK
    ]
    assert any("+86139****5678" in t and "1101*******7123" in t and "三屯**号" in t for t in webhook)
    posted = group_bodies(service)
    assert "13912345678" not in posted and "110101900307123" not in posted and "三屯17号" not in posted
