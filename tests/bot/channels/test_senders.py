"""Each channel's wire format, as the fake WeCom API receives it over loopback HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.senders import KfWindowClosed, deliver
from bot.channels.types import Address, Button, Card, NewGroup, Outbound, Select
from config.errors import ChannelError
from models import KfCustomer

CARD = Card(
    task_id="t1042",
    title="哨单 #1042 道路塌陷",
    description="三道沟屯",
    fields=(("部门", "交通运输局"), ("时限", "24小时")),
    buttons=(Button("duty:1042", "签收"), Button("return:1042", "退单", 2)),
)


async def test_app_text_uses_duplicate_check(api, fake_wecom):
    result = await deliver(api, Outbound(Address("app", "zhangwei"), text="已受理 #1042"), idempotency_key="k1")
    (body,) = fake_wecom.state.bodies("message/send")
    assert body["touser"] == "zhangwei" and body["agentid"] == 1000002
    assert body["msgtype"] == "text" and body["text"]["content"] == "已受理 #1042"
    assert body["enable_duplicate_check"] == 1
    assert result["msgids"] and result["msgids"][0].startswith("msg")


async def test_long_app_text_goes_out_in_pieces(api, fake_wecom):
    text = "\n".join(f"第{i}户：已走访，情况稳定。" for i in range(300))
    result = await deliver(api, Outbound(Address("app", "zhangwei"), text=text, markdown=True), idempotency_key="k")
    bodies = fake_wecom.state.bodies("message/send")
    assert len(bodies) == len(result["msgids"]) > 1
    assert all(b["msgtype"] == "markdown" and len(b["markdown"]["content"].encode()) <= 2048 for b in bodies)
    assert "\n".join(b["markdown"]["content"] for b in bodies) == text


async def test_card_is_a_button_interaction_and_returns_its_response_code(api, fake_wecom):
    result = await deliver(api, Outbound(Address("app", "liaison1"), card=CARD), idempotency_key="k")
    (body,) = fake_wecom.state.bodies("message/send")
    card = body["template_card"]
    assert body["msgtype"] == "template_card" and card["card_type"] == "button_interaction"
    assert card["task_id"] == "t1042" and card["main_title"] == {"title": "哨单 #1042 道路塌陷", "desc": "三道沟屯"}
    assert card["button_list"] == [
        {"text": "签收", "style": 1, "key": "duty:1042"},
        {"text": "退单", "style": 2, "key": "return:1042"},
    ]
    assert card["horizontal_content_list"][0] == {"keyname": "部门", "value": "交通运输局"}
    assert result["response_code"]


async def test_a_card_with_a_select_is_a_multiple_interaction_and_survives_the_outbox_json(api, fake_wecom):
    card = Card(
        task_id="gw-power-1-2",
        title="流程 1 第2步：两委会商议",
        description="后道老村",
        fields=(("时限", "11-28 09:00"),),
        buttons=(Button("power:1:2", "完成"),),
        selects=(Select("result", "结果", (("1", "通过"), ("2", "未通过"))),),
    )
    outbound = Outbound(Address("app", "jiangfeng"), card=card)
    assert Outbound.from_json(outbound.to_json()) == outbound
    result = await deliver(api, outbound, idempotency_key="k")
    (body,) = fake_wecom.state.bodies("message/send")
    sent = body["template_card"]
    assert sent["card_type"] == "multiple_interaction" and result["response_code"]
    assert sent["main_title"] == {"title": "流程 1 第2步：两委会商议", "desc": "后道老村\n时限：11-28 09:00"}
    assert sent["select_list"] == [
        {
            "question_key": "result",
            "title": "结果",
            "option_list": [{"id": "1", "text": "通过"}, {"id": "2", "text": "未通过"}],
        }
    ]
    assert sent["submit_button"] == {"text": "完成", "key": "power:1:2"} and "button_list" not in sent


async def test_card_update_replaces_the_buttons(api, fake_wecom):
    sent = await deliver(api, Outbound(Address("app", "liaison1"), card=CARD), idempotency_key="k")
    update = Outbound(
        Address("app", "liaison1"), card_update={"response_code": sent["response_code"], "replace_name": "已签收"}
    )
    await deliver(api, update, idempotency_key="k2")
    (body,) = fake_wecom.state.bodies("message/update_template_card")
    assert body["button"] == {"replace_name": "已签收"} and body["userids"] == ["liaison1"]
    with pytest.raises(ChannelError):  # a response_code works once
        await deliver(api, update, idempotency_key="k3")


async def test_card_update_with_a_whole_card(api, fake_wecom):
    sent = await deliver(api, Outbound(Address("app", "liaison1"), card=CARD), idempotency_key="k")
    update = Outbound(
        Address("app", "liaison1"),
        card=CARD,
        card_update={"response_code": sent["response_code"], "replace_text": "已办结"},
    )
    await deliver(api, update, idempotency_key="k2")
    (body,) = fake_wecom.state.bodies("message/update_template_card")
    assert body["template_card"]["replace_text"] == "已办结" and body["template_card"]["task_id"] == "t1042"


async def test_group_chat_is_created_then_posted_to(api, fake_wecom):
    group = NewGroup(name="#1042 联合处置", owner="secretary", members=("secretary", "liaison1"))
    first = Outbound(Address("appchat", "ticket1042"), text="联合处置群已建立", create_group=group)
    result = await deliver(api, Outbound.from_json(first.to_json()), idempotency_key="k")
    assert result["chatid"] == "ticket1042"
    (create,) = fake_wecom.state.bodies("appchat/create")
    assert create["userlist"] == ["secretary", "liaison1"] and create["name"] == "#1042 联合处置"
    await deliver(api, Outbound(Address("appchat", "ticket1042"), text="交通局已到场"), idempotency_key="k2")
    assert [b["text"]["content"] for b in fake_wecom.state.bodies("appchat/send")] == [
        "联合处置群已建立",
        "交通局已到场",
    ]


async def test_webhook_posts_with_the_key_and_shows_cards_as_markdown(api, fake_wecom):
    await deliver(api, Outbound(Address("webhook", "hook-key-1"), card=CARD), idempotency_key="k")
    (call,) = fake_wecom.state.calls("webhook/send", ok=True)
    assert call.params == {"key": "hook-key-1"}
    assert call.body["msgtype"] == "markdown" and "交通运输局" in call.body["markdown"]["content"]


async def test_aibot_answer_goes_to_the_response_url_once(api, fake_wecom):
    url = fake_wecom.state.response_url()
    await deliver(api, Outbound(Address("aibot", url), text="已记录，编号 #1042"), idempotency_key="k")
    (body,) = fake_wecom.state.bodies("aibot/response")
    assert body == {"msgtype": "markdown", "markdown": {"content": "已记录，编号 #1042"}}
    with pytest.raises(ChannelError):
        await deliver(api, Outbound(Address("aibot", url), text="again"), idempotency_key="k2")


async def test_kf_uses_the_key_as_msgid_and_keeps_the_five_message_window(api, fake_wecom, clock):
    fake_wecom.state.queue_kf_message("wkgridwhistledemo", "wmvillager1", "路灯坏了")
    await KfCustomer.create(
        external_userid="wmvillager1", open_kfid="wkgridwhistledemo", last_customer_message_at=clock.now()
    )
    for n in range(5):
        await deliver(api, Outbound(Address("kf", "wmvillager1"), text=f"进展{n}"), idempotency_key=f"gw-ob-{n}")
    with pytest.raises(KfWindowClosed) as caught:
        await deliver(api, Outbound(Address("kf", "wmvillager1"), text="第六条"), idempotency_key="gw-ob-5")
    assert caught.value.errcode == 95001
    bodies = fake_wecom.state.bodies("kf/send_msg")
    assert [b["msgid"] for b in bodies] == [f"gw-ob-{n}" for n in range(5)]
    assert bodies[0]["open_kfid"] == "wkgridwhistledemo" and bodies[0]["touser"] == "wmvillager1"
    assert (await KfCustomer.get(external_userid="wmvillager1")).sent_since_customer_message == 5


async def test_kf_refuses_after_48_hours(api, fake_wecom, clock):
    await KfCustomer.create(
        external_userid="wmvillager2",
        open_kfid="wkgridwhistledemo",
        last_customer_message_at=clock.now() - timedelta(hours=49),
    )
    with pytest.raises(KfWindowClosed) as caught:
        await deliver(api, Outbound(Address("kf", "wmvillager2"), text="您好"), idempotency_key="gw-ob-1")
    assert caught.value.errcode == 95002
    assert fake_wecom.state.calls("kf/send_msg") == []


async def test_kf_msgid_must_fit_wecom_rules(api):
    with pytest.raises(ValueError):
        await deliver(api, Outbound(Address("kf", "wm1"), text="x"), idempotency_key="has space")
