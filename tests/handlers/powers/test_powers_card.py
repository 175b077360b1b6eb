"""The step card end to end: the real service with the example list, WeCom played by the sandbox's callbacks,
the outbox sent to the fake WeCom API. A step becoming due sends its card to whoever records it; 完成 with a
result picked records the step as `权力 完成` does; the card then shows it done for everyone who got it."""

from __future__ import annotations

from models import PowerEvent, PowerStep, PowerWarning


def cards(service, userid: str) -> list[dict]:
    return [
        b["template_card"]
        for b in service.fake.bodies("message/send")
        if userid in b["touser"].split("|") and b["msgtype"] == "template_card"
    ]


def updates(service) -> list[dict]:
    return service.fake.bodies("message/update_template_card")


async def submit(service, userid: str, card: dict, option: str | None, *, repeats: int = 1) -> None:
    """完成 on the card with the option numbered `option` picked (None: nothing picked)."""
    picked = {"result": [option]} if option else {}
    await service.wecom.app_card_submit(userid, card["submit_button"]["key"], card["task_id"], picked, repeats=repeats)
    await service.settle()


async def test_a_due_step_brings_its_card_and_a_tap_records_it_once(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("jiangfeng", "权力 启动 四议两公开 村部旁空地建文化广场", repeats=2)  # a retry: one flow
    await service.settle()
    (first,) = cards(service, "jiangfeng")
    assert first["card_type"] == "multiple_interaction"
    assert first["main_title"]["title"] == "流程 1 第1步：党支部提议"
    desc = first["main_title"]["desc"]
    assert desc.startswith("后道老村 村级重大事项决策：村部旁空地建文化广场\n")
    assert "记录人：姜峰" in desc and "时限：11-23 09:00" in desc and "公开：不用公开" in desc
    assert "结果另写：发「权力 完成 1 1 您的结果」" in desc
    (choices,) = first["select_list"]
    assert [o["text"] for o in choices["option_list"]] == ["已完成"]  # the step lists no results: the default

    await submit(service, "jiangfeng", first, "1", repeats=2)  # WeCom retries the tap: one record
    assert service.texts_to("jiangfeng")[-1] == "已记录：流程 1 第1步「党支部提议」完成，结果：已完成。"
    step = await PowerStep.get(flow_id=1, position=1).prefetch_related("done_by")
    assert (step.state, step.result, step.done_by.name) == ("done", "已完成", "姜峰")
    (update,) = updates(service)
    assert update["button"]["replace_name"].startswith("已完成：姜峰 ") and update["userids"] == ["jiangfeng"]

    second = cards(service, "jiangfeng")[-1]  # the next step is due: its card, with the list's results
    assert second["main_title"]["title"] == "流程 1 第2步：两委会商议"
    assert [o["text"] for o in second["select_list"][0]["option_list"]] == ["通过", "未通过"]

    await service.later(minutes=1)  # a tap in the same second on the same button would be WeCom's retry
    await submit(service, "jiangfeng", first, "1")  # a second tap on the first card
    assert service.texts_to("jiangfeng")[-1] == "流程 1 第1步「党支部提议」已经记录过了。"
    await submit(service, "zhaoshuqin", second, "1")  # 副书记 does not record the 两委会 step
    assert service.texts_to("zhaoshuqin")[-1] == "这一步由村党组织书记记录（姜峰），您记录不了。"
    await submit(service, "jiangfeng", second, None)  # 完成 with no result picked
    assert service.texts_to("jiangfeng")[-1].startswith("卡片上没有选结果，这一步还没记录。")
    assert await PowerStep.get(flow_id=1, position=2).values_list("state", flat=True) == "pending"

    await service.later(minutes=1)
    await submit(service, "jiangfeng", second, "2")
    assert service.texts_to("jiangfeng")[-1] == "已记录：流程 1 第2步「两委会商议」完成，结果：未通过。"
    assert await PowerEvent.filter(flow_id=1, kind="step_done").count() == 2
    assert len(updates(service)) == 2 and not await PowerWarning.exists()
    third = cards(service, "zhaoshuqin")  # 党员大会审议 is the 副书记's
    assert [c["main_title"]["title"] for c in third] == ["流程 1 第3步：党员大会审议"]
    assert len(cards(service, "jiangfeng")) == 2  # each card once


async def test_out_of_order_by_card_warns_as_the_command_does_and_a_command_updates_the_card(driven_service):
    service, wecom = driven_service, driven_service.wecom
    await wecom.app_text("jiangfeng", "权力 启动 重大事项 修缮村部")
    await service.later(minutes=5)  # the card is with WeCom, which gave a response_code for it
    await wecom.app_text("jiangfeng", "权力 完成 1 1 提议修缮")  # by command: the card shows it done all the same
    await service.settle()
    first, second = cards(service, "jiangfeng")
    (update,) = updates(service)
    assert update["button"]["replace_name"].endswith("结果：提议修缮")
    assert update["response_code"]  # the code WeCom gave for the card's send: nobody tapped it

    await wecom.app_text("zhaoshuqin", "权力 完成 1 3 党员大会同意")  # step 2 not done yet
    await service.settle()
    await submit(service, "jiangfeng", second, "1")
    assert service.texts_to("jiangfeng")[-1] == (
        "已记录：流程 1 第2步「两委会商议」完成，结果：通过。这一步没按顺序做，已按清单发出失责预警。"
    )
    kinds = sorted(await PowerWarning.all().values_list("position", "kind"))
    assert kinds == [(2, "out_of_order"), (2, "skipped"), (3, "out_of_order")]
    await service.later(minutes=1)  # 姜峰's notices past four this minute wait for the next (bot/outbox/combine.py)
    assert len(cards(service, "jiangfeng")) == 3  # step 2's card not again; step 4 (主任: 姜峰) now due
    assert cards(service, "jiangfeng")[-1]["main_title"]["title"] == "流程 1 第4步：村民代表会议或村民会议决议"
