"""Villagers' questions answered from the small-powers list, in any channel, with their own village's people;
the request is recorded as answered (no department, no township confirmation); 没解决 makes it an ordinary one."""

from __future__ import annotations

from models import Area, KfCustomer, OutboxMessage, PowerAnswer, Request, Ticket, TicketEvent
from models.request_states import RequestState


def text_of(rows: list[OutboxMessage]) -> str:
    return "\n".join(r.payload.get("text", "") for r in rows)


async def test_an_app_villager_hears_who_handles_it_in_their_village(county, say):
    answer = text_of(await say("app", "jiangdahai", "低保找谁办，要带啥材料？"))
    assert answer.startswith("【低保申请和评议】在后道老村，由村委会主任姜峰负责。")
    assert "要带：户口本、身份证" in answer and "时限：村里10个工作日内" in answer
    request = await Request.get(text="低保找谁办，要带啥材料？")
    assert request.status == RequestState.ANSWERED and f"#{request.number}" in answer
    answered = await PowerAnswer.get(request_id=request.id)
    assert (answered.item, (await Area.get(id=answered.village_id)).code) == ("subsistence_review", "houdaolao")
    kinds = await TicketEvent.filter(request_id=request.id).order_by("id").values_list("kind", flat=True)
    assert kinds == ["recorded", "answered_from_list"]  # not proposed to the township, not kept in the grid
    assert not await Ticket.exists()


async def test_a_group_and_a_kf_villager_each_hear_their_own_villages_people(county, say):
    group = text_of(await say("aibot", "xuchunhua", "@网格哨 残疾证咋办理", conversation="wrkSFfCgAAwenhua1"))
    assert "在文化村，由妇联主席张红梅负责" in group
    await KfCustomer.create(
        external_userid="wmDONG", open_kfid="wkgridwhistledemo", grid=await Area.get(code="hongqi-1")
    )
    kf = text_of(await say("kf", "wmDONG", "孩子想当兵，去哪报名，要啥材料"))
    assert "【征兵报名和优待】在红旗农场，由民兵连长鲁秀萍负责" in kf
    channels = await Request.filter(status=RequestState.ANSWERED).order_by("id").values_list("channel", flat=True)
    assert channels == ["aibot", "kf"]


async def test_a_post_nobody_holds_points_to_the_secretary(county, say):
    answer = text_of(await say("app", "jiangdahai", "想查查村里账目找谁"))
    assert "由村务监督委员会主任负责（村里还没登记人选，请先找姜峰）" in answer


async def test_not_solved_turns_it_into_an_ordinary_request_and_satisfied_closes_it(county, say):
    await say("app", "jiangdahai", "宅基地咋批？")
    asked = await Request.get(text="宅基地咋批？")
    reply = text_of(await say("app", "jiangdahai", "没解决 村里说今年不批")).strip()
    assert reply.startswith(f"很抱歉没帮上忙，#{asked.number} 转为诉求办理。收到！您反映的事已登记")
    await asked.refresh_from_db()
    assert asked.status == RequestState.RECORDED  # routed as ever: waits for the township's confirmation
    kinds = await TicketEvent.filter(request_id=asked.id).order_by("id").values_list("kind", flat=True)
    assert kinds[:3] == ["recorded", "answered_from_list", "answer_unsolved"] and "proposed" in kinds
    await say("app", "wangshufen", "土地流转要啥手续")
    other = await Request.get(text="土地流转要啥手续")
    assert text_of(await say("app", "wangshufen", "满意")) == f"谢谢您的评价！#{other.number} 就算办完了。"
    await other.refresh_from_db()
    assert (other.status, other.satisfaction) == (RequestState.CLOSED, "satisfied")
    assert text_of(await say("app", "wangshufen", "没解决")) != ""  # nothing answered left: an ordinary message


async def test_what_is_no_question_for_the_list_goes_on_as_before(county, say):
    for text in (
        "村书记把低保给了他亲戚，不公平",  # a complaint about a cadre: discipline
        "低保的钱到了，谢谢",  # not a question
        "三屯那个桥塌了一半，车过不去",  # a matter, not in the list
    ):
        await say("app", "jiangdahai", text)
    assert not await PowerAnswer.exists()
    assert not await Request.filter(status=RequestState.ANSWERED).exists()
