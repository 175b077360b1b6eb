"""The retention sweep over requests made through the real dispatcher, the sanctioned redaction of audit-trail
events (and the database refusing any other change), and `gridwhistle person export|erase` as processes."""

from __future__ import annotations

import json

import pytest
from tortoise import Tortoise
from tortoise.exceptions import IntegrityError, OperationalError

from bot.retention.people import ERASED, ERASED_NAME
from bot.retention.sweep import sweep
from config.settings import RetentionSettings
from models import (
    AccessRecord,
    Attachment,
    EventRedaction,
    InboxMessage,
    NonRequest,
    OutboxMessage,
    Person,
    Request,
    TicketEvent,
)
from models.request_states import RequestState, move_request

PHONE, ID_NUMBER = "13912345678", "110101199003071234"
FLOOD = "村里路灯坏了三盏，晚上黑得看不见路"
MORE = f"路灯在村口，我电话{PHONE}，身份证{ID_NUMBER}"  # a second piece: its words go in the trail's event too
POLICY = RetentionSettings(closed_request_months=24, non_request_days=30, media_months=12, messages_days=90)


async def a_closed_request(say, clock) -> Request:
    await say("app", "jiangdahai", FLOOD)
    await say("app", "jiangdahai", MORE)
    request = await Request.get(sender__userid="jiangdahai")
    assert PHONE in request.text and "村口" in request.text  # one request, told in two pieces
    await move_request(request, RequestState.RESOLVED, clock.now())
    await move_request(request, RequestState.CLOSED, clock.now())
    return await Request.get(id=request.id)


def events_text(events: list[TicketEvent]) -> str:
    return json.dumps([[e.reason, e.data] for e in events], ensure_ascii=False)


async def test_the_sweep_masks_closed_requests_and_removes_what_has_expired(county, say, clock, tmp_path) -> None:
    request = await a_closed_request(say, clock)
    events = await TicketEvent.filter(request_id=request.id)
    assert PHONE in request.text and PHONE in events_text(events)  # the villager's words are in the trail
    photo = tmp_path / "1.jpg"
    photo.write_bytes(b"\xff\xd8")
    await Attachment.create(request=request, kind="image", media_id="m1", local_path=str(photo), created_at=clock.now())
    await NonRequest.create(channel="app", sender_ref="jiangdahai", text=f"谢谢 {PHONE}", created_at=clock.now())
    open_one = await say("app", "sunfuhai", f"村里自来水管冻裂了，没水吃，电话{PHONE}")
    assert open_one

    clock.advance(days=31)
    report = await sweep(POLICY, clock.now())
    assert report.non_requests_deleted == 1 and report.requests_anonymised == 0 and report.media_deleted == 0
    assert await NonRequest.all().count() == 0

    clock.advance(days=365 * 2)
    report = await sweep(POLICY, clock.now())
    assert report.requests_anonymised == 1 and report.media_deleted == 1
    assert report.inbox_emptied >= 2 and report.outbox_emptied == 0  # the outbox was never sent (no worker here)
    request = await Request.get(id=request.id)
    assert PHONE not in request.text and ID_NUMBER not in request.text and "139****5678" in request.text
    assert request.anonymised_at == clock.now() and request.reply_context == {}
    events = await TicketEvent.filter(request_id=request.id).order_by("id")
    assert PHONE not in events_text(events) and ID_NUMBER not in events_text(events)
    assert [e.kind for e in events] == [e.kind for e in await TicketEvent.filter(request_id=request.id).order_by("id")]
    assert await EventRedaction.filter(why="retention").count() == report.events_redacted >= 1
    assert not photo.exists() and (await Attachment.get(request_id=request.id)).local_path == ""
    assert all(row.payload == {"retention": True} for row in await InboxMessage.filter(status="done"))
    still_open = await Request.get(sender__userid="sunfuhai")
    assert PHONE in still_open.text  # an open request keeps its details

    again = await sweep(POLICY, clock.now())  # nothing left to do: the second run touches nothing
    assert (again.requests_anonymised, again.inbox_emptied, again.events_redacted, again.media_deleted) == (0, 0, 0, 0)


async def test_an_event_changes_only_by_a_recorded_redaction_and_keeps_its_facts(county, say, clock) -> None:
    request = await a_closed_request(say, clock)
    event = await TicketEvent.filter(request_id=request.id).order_by("id").first()
    assert event is not None
    conn = Tortoise.get_connection("default")
    q = "$1" if conn.capabilities.dialect == "postgres" else "?"
    refused = (OperationalError, IntegrityError)
    with pytest.raises(refused, match="append-only"):  # no redaction on record
        await conn.execute_query(f"UPDATE ticket_event SET reason = {q} WHERE id = {event.id}", ["x"])
    await EventRedaction.create(event_id=event.id, why="erasure", by="test", at=clock.now())
    with pytest.raises(refused, match="append-only"):  # the facts never change
        await conn.execute_query(f"UPDATE ticket_event SET kind = {q} WHERE id = {event.id}", ["rated"])
    with pytest.raises(refused, match="append-only"):
        await conn.execute_query(f"DELETE FROM ticket_event WHERE id = {event.id}")
    await conn.execute_query(f"UPDATE ticket_event SET reason = {q} WHERE id = {event.id}", ["（已删除）"])
    assert (await TicketEvent.get(id=event.id)).reason == "（已删除）"


async def test_person_export_and_erase_through_the_command(
    county, say, clock, config_file, tmp_path, gridwhistle
) -> None:
    await a_closed_request(say, clock)
    events_before = await TicketEvent.all().count()
    out = tmp_path / "jiang.json"
    code, stdout, err = await gridwhistle(
        "person", "export", "jiangdahai", "--out", str(out), "--by", "wanglei", "--config", str(config_file)
    )
    assert code == 0, err
    data = json.loads(out.read_text(encoding="utf-8"))
    (person,) = data["people"]
    assert person["name"] == "姜大海" and person["mobile"] == "13800000062"
    assert PHONE in person["requests"][0]["text"] and person["requests"][0]["events"]
    assert data["household"]["code"] == "houdaolao-3-017"
    assert data["access_records"][-1]["actor"] == "wanglei" and data["access_records"][-1]["action"] == "export"
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    code, _, err = await gridwhistle("person", "erase", "jiangdahai", "--config", str(config_file))
    assert code == 2 and "--yes" in err
    code, _, err = await gridwhistle("person", "erase", "zhangwei", "--yes", "--config", str(config_file))
    assert code == 1 and "cadre roles" in err and "Traceback" not in err
    code, _, err = await gridwhistle("person", "export", "nobody", "--config", str(config_file))
    assert code == 1 and "no person with userid 'nobody'" in err

    code, stdout, err = await gridwhistle(
        "person", "erase", "jiangdahai", "--yes", "--by", "wanglei", "--config", str(config_file)
    )
    assert code == 0, err
    assert stdout.startswith("erased jiangdahai: 1 people, 1 requests anonymised")
    person_row = await Person.get(userid="jiangdahai")
    assert (person_row.name, person_row.mobile) == (ERASED_NAME, "")
    request = await Request.get(sender_id=person_row.id)
    assert request.text == ERASED and request.sender_ref == ""
    events = await TicketEvent.all()
    assert len(events) == events_before  # every fact of the trail is still there …
    assert PHONE not in events_text(events) and "村口" not in events_text(events)  # … without the words
    assert [a.action for a in await AccessRecord.filter(subject="person:jiangdahai").order_by("id")] == [
        "export",
        "erase",
    ]
    assert await OutboxMessage.all().count() > 0  # sends already queued are the outbox's business (messages_days)
