"""Villagers' requests through the real dispatcher (`say`): recording from each channel, the answer,
not-requests, bursts, follow-ups, photos, duplicates and privacy."""

from __future__ import annotations

from models import Area, Attachment, KfCustomer, NonRequest, Request, TicketEvent

GRID3_CHAT = "wrkSFfCgAAhoudaolao3"  # 后道老村3网格群, has a webhook
GRID1_CHAT = "wrkSFfCgAAhoudaolao1"


def texts_of(rows, channel=None):
    return [r.payload.get("text", "") for r in rows if channel is None or r.kind == channel]


async def test_a_villager_in_1to1_gets_number_department_and_promise(county, say):
    sent = await say("app", "jiangdahai", "三屯那个桥塌了一半，车过不去")
    request = await Request.get()
    assert request.number >= 1001
    assert request.primary == "transport" and request.status == "recorded"
    assert request.household_id is not None and request.sender_id is not None
    assert (await request.area).code == "houdaolao-3"
    assert request.reply_context["userid"] == "jiangdahai"
    assert "桥塌" in request.explanation
    replies = [r for r in sent if r.kind == "app" and r.target == "jiangdahai"]
    assert len(replies) == 1
    text = replies[0].payload["text"]
    assert f"#{request.number}" in text and "交通运输局" in text and "1个工作日内" in text
    assert await TicketEvent.filter(request_id=request.id, kind="recorded").exists()


async def test_a_group_message_is_recorded_against_the_speaker_and_answered_in_the_group(county, say):
    sent = await say("aibot", "fengbaolin", "路灯不亮了好几天了，晚上黑咕隆咚的", conversation=GRID3_CHAT)
    request = await Request.get()
    assert request.primary == "power" and request.channel == "aibot"
    assert (await request.chat).chatid == GRID3_CHAT
    assert request.reply_context["webhook_key"]
    answer = [r for r in sent if r.kind == "aibot"]
    assert len(answer) == 1 and f"#{request.number}" in answer[0].payload["text"]


async def test_a_stranger_in_a_known_group_is_recorded_against_the_chat_area(county, say):
    await say("aibot", "nobody-known", "停电了，一屯全黑", conversation=GRID1_CHAT)
    request = await Request.get()
    assert request.sender_id is None and (await request.area).code == "houdaolao-1"


async def test_not_requests_get_no_answer_in_groups_but_a_way_to_insist_in_1to1(county, say):
    assert await say("aibot", "fengbaolin", "收到，谢谢", conversation=GRID3_CHAT) == []
    sent = await say("app", "fengbaolin", "你好")
    assert "报事" in texts_of(sent, "app")[0]
    assert await Request.all().count() == 0
    assert await NonRequest.all().count() == 2
    sent = await say("app", "fengbaolin", "报事 你好 我想问问")
    request = await Request.get()
    assert request.primary == "village" and request.status == "kept_in_grid"
    assert any(f"#{request.number}" in t for t in texts_of(sent, "app"))


async def test_a_burst_of_five_short_messages_is_one_request(county, say, clock):
    for piece in ["路", "坏了", "三屯那个桥", "塌了一半", "车过不去"]:
        await say("app", "jiangdahai", piece)
        clock.advance(seconds=40)
    request = await Request.get()
    assert request.text == "路 坏了 三屯那个桥 塌了一半 车过不去"
    assert request.primary == "transport"
    clock.advance(minutes=3)
    await say("app", "jiangdahai", "村东头的水井也干了")
    assert await Request.all().count() == 2


async def test_a_burst_that_starts_with_not_requests_is_one_request(county, say, clock):
    await say("aibot", "fengbaolin", "那个", conversation=GRID3_CHAT)
    clock.advance(seconds=30)
    await say("aibot", "fengbaolin", "三屯桥塌了", conversation=GRID3_CHAT)
    request = await Request.get()
    assert request.text == "那个 三屯桥塌了"
    assert await NonRequest.filter(absorbed_into_id=request.id).count() == 1


async def test_a_follow_up_answers_the_status_of_the_open_request(county, say, clock):
    await say("app", "jiangdahai", "三屯那个桥塌了一半，车过不去")
    request = await Request.get()
    clock.advance(days=2)
    sent = await say("app", "jiangdahai", "我上回说的那个事咋还没信儿")
    assert await Request.all().count() == 1
    text = texts_of(sent, "app")[0]
    assert f"#{request.number}" in text and "交通运输局" in text
    assert await TicketEvent.filter(request_id=request.id, kind="followup").exists()


async def test_a_follow_up_without_an_open_request_is_not_a_new_request(county, say):
    sent = await say("app", "jiangdahai", "我上回说的那个事咋还没信儿")
    assert "没查到" in texts_of(sent, "app")[0]
    assert await Request.all().count() == 0


async def test_a_photo_is_attached_to_the_latest_open_request(county, say, clock):
    await say("app", "jiangdahai", "三屯那个桥塌了一半，车过不去")
    clock.advance(minutes=5)
    sent = await say("app", "jiangdahai", kind="image", extra={"media_id": "MEDIA-1", "pic_url": "http://x/1.jpg"})
    attachment = await Attachment.get()
    assert attachment.media_id == "MEDIA-1" and attachment.kind == "image"
    assert "照片" in texts_of(sent, "app")[0]


async def test_a_photo_before_the_words_joins_the_request(county, say, clock):
    await say("app", "jiangdahai", kind="image", extra={"media_id": "MEDIA-2"})
    clock.advance(seconds=20)
    await say("app", "jiangdahai", "就这个桥，塌了")
    request = await Request.get()
    assert await Attachment.filter(request_id=request.id, media_id="MEDIA-2").exists()


async def test_three_households_reporting_the_same_matter_are_merged(county, say, clock):
    await say("app", "jiangdahai", "三屯桥塌了，车过不去")
    first = await Request.get()
    clock.advance(hours=3)
    await say("app", "fengbaolin", "三屯那个桥塌了，拖拉机过不去")
    clock.advance(hours=3)
    sent = await say("aibot", "stranger-1", "桥塌了咋整 车过不去", conversation="wrkSFfCgAAhoudaolao4")
    rows = await Request.all().order_by("id")
    assert len(rows) == 3
    assert [r.merged_into_id for r in rows] == [None, first.id, first.id]
    text = texts_of(sent, "aibot")[0]
    assert "已有3户" in text and f"#{first.number}" in text
    # another hamlet is another matter
    await say("app", "wangshufen", "桥塌了，车过不去")
    assert (await Request.all().order_by("-id").first()).merged_into_id is None


async def test_my_requests_lists_only_the_senders_own(county, say):
    await say("app", "jiangdahai", "三屯那个桥塌了一半，车过不去")
    await say("app", "fengbaolin", "路灯不亮了好几天了")
    sent = await say("app", "fengbaolin", "我的诉求")
    text = texts_of(sent, "app")[0]
    assert "路灯" in text and "桥" not in text


async def test_group_answers_mask_phone_numbers_and_house_numbers(county, say):
    sent = await say("aibot", "fengbaolin", "报事 我家三屯23号门口水管爆了 电话13812345678", conversation=GRID3_CHAT)
    assert await Request.all().count() == 1
    for text in texts_of(sent):
        assert "13812345678" not in text


async def test_kf_villager_is_recorded_against_the_scene_grid_and_asked_who_they_are(county, say, clock):
    grid = await Area.get(code="wenhua-2")
    await KfCustomer.create(
        external_userid="wmVILLAGER1", open_kfid="wkgridwhistledemo", grid=grid, last_customer_message_at=clock.now()
    )
    sent = await say("kf", "wmVILLAGER1", "我家低保咋还没发")
    request = await Request.get()
    assert (await request.area).code == "wenhua-2" and request.sender_id is None
    assert request.reply_context["external_userid"] == "wmVILLAGER1"
    text = texts_of(sent, "kf")[0]
    assert f"#{request.number}" in text and "我是" in text
    sent = await say("kf", "wmVILLAGER1", "谢谢")
    assert "我是" not in texts_of(sent, "kf")[0]  # asked once


async def test_more_words_from_a_merged_reporter_stay_with_the_merged_matter(county, say, clock):
    await say("app", "jiangdahai", "三屯桥塌了，车过不去")
    clock.advance(hours=1)
    await say("app", "fengbaolin", "三屯那个桥塌了")
    clock.advance(seconds=30)
    sent = await say("app", "fengbaolin", "拖拉机也过不去")
    first, second = await Request.all().order_by("id")
    assert second.merged_into_id == first.id and second.text == "三屯那个桥塌了 拖拉机也过不去"
    assert f"#{first.number}" in texts_of(sent, "app")[0]
    sent = await say("app", "fengbaolin", "我的诉求")
    assert f"#{first.number}" in texts_of(sent, "app")[0]


async def test_a_whistled_matter_s_cards_count_the_photos_sent_before_its_words(county, say, clock):
    await say("app", "jiangdahai", kind="image", extra={"media_id": "MEDIA-3"})
    clock.advance(seconds=20)
    sent = await say("app", "jiangdahai", "河水漫进屯里了，房子进水了，快来人")
    request = await Request.get()
    assert request.urgency == "urgent" and request.status != "recorded"  # whistled at once
    cards = [r.payload["card"] for r in sent if r.payload.get("card")]
    assert cards and all("村民发来1张" in str(card) for card in cards if "照片" in str(card))
    assert any("村民发来1张" in str(card) for card in cards)
