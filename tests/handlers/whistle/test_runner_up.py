"""The runner-up on the confirmation card, end to end: the real service with the demo county, WeCom played by
the sandbox; the tap whistles to the department the router considered close, the correction is kept once,
`lexicon suggest` sees it, and `lexicon accept` writes it masked to the local file the settings name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.sandbox.harness import DrivenService
from models import Assignment, RoutingCorrection, Ticket, TicketEvent
from tests.handlers.whistle.test_e2e import BAISHAN, LIAISONS, Sandbox, button

# transport by the table, water close behind it (水渠); the phone number must never reach the learning file
DITCH_ROAD = "三屯水渠边的路冲坏了一段，车过不去，有事打我电话13912345678"


@pytest.fixture
def sandbox(driven_service: DrivenService) -> Sandbox:
    service = driven_service
    return Sandbox(service.app, service.wecom, service.fake, service.worker, service.clock)


async def test_the_card_offers_the_runner_up_and_a_tap_whistles_there(sandbox, gridwhistle, config_file, tmp_path):
    await sandbox.wecom.app_text("jiangdahai", DITCH_ROAD)
    await sandbox.settle()
    (card,) = sandbox.cards_to(BAISHAN)
    assert [b["text"] for b in card["button_list"]] == ["确认吹哨", "改交水务局", "改派"]
    fields = dict((f["keyname"], f["value"]) for f in card["horizontal_content_list"])
    assert fields["主办"] == "交通运输局" and fields["也可能是"] == "水务局"
    proposed = await TicketEvent.get(kind="proposed")
    assert proposed.data["runners_up"] == ["water"]

    # lihong taps 改交水务局: the request goes to water as primary, the card greys out for all three
    await sandbox.wecom.app_card_click("lihong", button(card, "改交水务局"), card["task_id"])
    await sandbox.settle()
    ticket = await Ticket.get()
    parts = await Assignment.filter(ticket=ticket).prefetch_related("department")
    assert [(a.department.code, a.is_primary) for a in parts] == [("water", True)]
    assert len(sandbox.cards_to(LIAISONS["water"])) == 1 and sandbox.cards_to(LIAISONS["transport"]) == []
    assert any(f"#{ticket.number}" in t for t in sandbox.texts_to("lihong"))
    assert sandbox.updates_for(BAISHAN)

    # a second tap (zhangwei, a moment later) whistles nothing more and keeps no second correction
    await sandbox.wecom.app_card_click("zhangwei", button(card, "改交水务局"), card["task_id"])
    await sandbox.settle()
    assert any("已经吹过哨" in t for t in sandbox.texts_to("zhangwei"))
    assert await Ticket.all().count() == 1
    (correction,) = await RoutingCorrection.all()
    assert (correction.original, correction.corrected, correction.via, correction.review) == (
        "transport",
        "water",
        "runner_up",
        "pending",
    )

    # `lexicon suggest` reads it (with the phone number masked in its examples)
    code, out, err = await gridwhistle(
        "lexicon", "suggest", "--config", str(config_file), "--min-support", "1", cache=tmp_path
    )
    assert code == 0, err
    assert "from 1 correction(s)" in out and "[departments.water]" in out
    assert "13912345678" not in out and "139****5678" in out

    # a cadre reviews it: listed while pending, accepted once, written masked to the local file
    accepted = tmp_path / "learning" / "accepted.jsonl"
    with config_file.open("a", encoding="utf-8") as settings:
        settings.write(f'\n[routing]\naccepted_file = "{accepted}"\n')
    code, out, err = await gridwhistle("lexicon", "corrections", "--config", str(config_file), cache=tmp_path)
    assert code == 0, err
    assert f"{correction.id}  transport → water  (runner_up, pending)" in out and "13912345678" not in out
    code, out, err = await gridwhistle(
        "lexicon", "accept", str(correction.id), "--by", "zhaolei", "--config", str(config_file), cache=tmp_path
    )
    assert code == 0, err
    (line,) = [json.loads(row) for row in accepted.read_text(encoding="utf-8").splitlines()]
    assert line["primary"] == "water" and line["is_request"] is True and line["urgency"] == "normal"
    assert "13912345678" not in line["text"] and "139****5678" in line["text"] and "水渠" in line["text"]
    code, _, err = await gridwhistle("lexicon", "accept", str(correction.id), "--config", str(config_file))
    assert code == 1 and "accepted already" in err
    assert len(accepted.read_text(encoding="utf-8").splitlines()) == 1
    code, out, _ = await gridwhistle("lexicon", "corrections", "--config", str(config_file), cache=tmp_path)
    assert out.strip() == "no corrections waiting for review"
    reviewed = await RoutingCorrection.get(id=correction.id)
    assert (reviewed.review, reviewed.reviewed_by) == ("accepted", "zhaolei")


async def test_a_rejected_correction_no_longer_feeds_suggest(sandbox, gridwhistle, config_file, tmp_path):
    await sandbox.wecom.app_text("jiangdahai", DITCH_ROAD)
    await sandbox.settle()
    (card,) = sandbox.cards_to(BAISHAN)
    # 吹哨 naming another department than the router's on the proposal is a correction too
    request_number = card["main_title"]["title"].rsplit("#", 1)[1]
    await sandbox.wecom.app_text("zhangwei", f"吹哨 #{request_number} 水务局")
    await sandbox.settle()
    (correction,) = await RoutingCorrection.all()
    assert (correction.corrected, correction.via) == ("water", "whistle")
    code, out, err = await gridwhistle("lexicon", "reject", str(correction.id), "--config", str(config_file))
    assert code == 0, err
    code, out, err = await gridwhistle(
        "lexicon", "suggest", "--config", str(config_file), "--min-support", "1", cache=tmp_path
    )
    assert code == 0, err
    assert out.strip() == "no proposals from 0 correction(s)"
    assert not Path(tmp_path / "learning").exists()
