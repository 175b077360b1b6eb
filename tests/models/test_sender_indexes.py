"""A sender's own requests are found on indexes (migration 0019): every message asks for the sender's latest
request, and without an index on who sent it that read every request in the asked states."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from models import Person, Request
from models.request_queries import _latest_of_sender
from models.request_states import STILL_BEING_SAID
from tests.models.plans import plan


@pytest.mark.parametrize("by_person", [True, False])
async def test_a_senders_latest_request_is_read_on_its_indexes(db: str, clock: ManualClock, by_person: bool) -> None:
    person = await Person.create(name="王大爷", userid="wang")
    await Request.bulk_create(  # a day of the township's open requests, from other senders
        Request(
            number=n,
            text="路灯坏了",
            channel="aibot",
            sender_ref=f"v{n}",
            primary="village",
            status="kept_in_grid" if n % 2 else "recorded",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        for n in range(1, 2001)
    )
    since = clock.now() - timedelta(minutes=10)
    values = ("aibot", "wang", *((person.id,) if by_person else ()), since)
    query = _latest_of_sender(STILL_BEING_SAID, by_person, True, *values)
    found = await plan(query.sql(params_inline=True), "request")
    assert "request_sender_ref" in found, found
    if by_person:  # their requests, and those recorded under their channel id before they were known
        assert re.search(r"request_sender\s", found), found
    assert "SCAN request\n" not in f"{found}\n" and "Seq Scan" not in found, found
