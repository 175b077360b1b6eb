"""/metrics and /healthz of the real service on loopback, driven by signed callbacks from the sandbox's
client, its outbox sent by hand to the fake WeCom; and the JSON log lines with their trace ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import logs
from bot.keys import SETTINGS, WECOM_API
from bot.outbox import OutboxWorker
from bot.sandbox.callbacks import CallbackClient
from models import Ticket

FLOOD = "三屯那个桥塌了一半，车过不去，河水漫进猪圈了"  # transport, urgent: a ticket at once


@pytest.fixture
async def running(service, fake_wecom) -> AsyncIterator[tuple[Any, CallbackClient, aiohttp.ClientSession]]:
    await service.stop()
    await service.start(process=None, load_org=True, background=False)  # the dispatcher; outbox by hand
    async with aiohttp.ClientSession() as http:
        client = CallbackClient(http, service.base_url, service.app[SETTINGS].wecom, service.clock, fake_wecom.state)
        yield service, client, http


async def scrape(http: aiohttp.ClientSession, base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with http.get(base_url + "/metrics") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def health(http: aiohttp.ClientSession, base_url: str) -> dict[str, Any]:
    async with http.get(base_url + "/healthz") as response:
        assert response.status == 200  # whenever serving; problems are in the body
        return await response.json()


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_and_healthz_follow_a_request_from_callback_to_wecom(running, clock) -> None:
    service, client, http = running
    base = await scrape(http, service.base_url)
    assert (await health(http, service.base_url))["ok"] is True

    answer = await client.app_text("jiangdahai", FLOOD)
    assert answer.status == 200
    async with http.post(
        service.base_url + "/wecom/app",
        params={"msg_signature": "forged", "timestamp": "1", "nonce": "n"},
        data=b"<xml><ToUserName>x</ToUserName><Encrypt>Zm9yZ2Vk</Encrypt></xml>",
    ) as response:
        assert response.status == 403
    await service.settled()
    page = await scrape(http, service.base_url)
    ok = "gridwhistle_callbacks_total"
    assert value(page, ok, channel="app", result="ok") - value(base, ok, channel="app", result="ok") == 1
    bad = value(page, ok, channel="app", result="bad_signature") - value(
        base, ok, channel="app", result="bad_signature"
    )
    assert bad == 1
    assert value(page, "gridwhistle_requests_routed_total", department="transport", urgency="urgent") == 1
    assert value(page, "gridwhistle_inbox_backlog") == 0
    due = value(page, "gridwhistle_outbox_backlog", state="due")
    assert due >= 2  # the villager's answer, the department's card, the township …
    assert value(page, "gridwhistle_last_wecom_success_timestamp_seconds") == 0
    assert "gridwhistle_scheduler_leader" not in {name for name, _ in page}  # this instance runs no scheduler

    clock.advance(minutes=11)  # WeCom unreachable for 11 minutes: the body says so, still 200
    body = await health(http, service.base_url)
    assert body["ok"] is False and body["outbox_due"] == due and body["last_wecom_success"] is None
    assert any(p.startswith("outbox: oldest due message waits") for p in body["problems"])
    assert any(p.startswith("wecom: nothing accepted") for p in body["problems"])
    page = await scrape(http, service.base_url)
    assert value(page, "gridwhistle_outbox_oldest_due_age_seconds") >= 660

    sent_before = value(page, "gridwhistle_sends_total", channel="app", result="sent")
    worker = OutboxWorker(service.app[WECOM_API], clock, ())
    while await worker.run_once():
        pass
    page = await scrape(http, service.base_url)
    assert value(page, "gridwhistle_outbox_backlog", state="due") == 0
    assert value(page, "gridwhistle_sends_total", channel="app", result="sent") > sent_before
    assert value(page, "gridwhistle_last_wecom_success_timestamp_seconds") == clock.now().timestamp()
    body = await health(http, service.base_url)
    assert body["ok"] is True and body["problems"] == [] and body["database"] == "ok"

    ticket = await Ticket.get()
    assert ticket.resolve_due is not None
    assert value(page, "gridwhistle_tickets_overdue") == 0
    clock.set(ticket.resolve_due)
    clock.advance(minutes=1)
    page = await scrape(http, service.base_url)
    assert value(page, "gridwhistle_tickets_overdue") == 1


async def test_a_serving_instance_reports_its_scheduler_leadership(service) -> None:
    await service.stop()
    await service.start(process=None, load_org=True, background=True)
    async with aiohttp.ClientSession() as http:
        for _ in range(50):  # elected at start; on PostgreSQL the lock may take a moment
            page = await scrape(http, service.base_url)
            if value(page, "gridwhistle_scheduler_leader") == 1:
                break
        assert value(page, "gridwhistle_scheduler_leader") == 1


async def test_json_log_lines_carry_the_trace_id_sent_back_to_the_caller(running) -> None:
    service, client, http = running
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonLines())
    logger = logging.getLogger("bot.app")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        async with http.post(
            service.base_url + "/wecom/aibot",
            params={"msg_signature": "x", "timestamp": "1", "nonce": "n"},
            data=b'{"encrypt": "Zm9yZ2Vk"}',
        ) as response:
            assert response.status == 403
            trace_id = response.headers["X-Trace-Id"]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (line,) = [line for line in lines if line["message"] == "callback POST /wecom/aibot answered 403"]
    assert line["trace_id"] == trace_id and len(trace_id) == 16
    assert line["level"] == "INFO" and line["logger"] == "bot.app" and line["time"].endswith("+08:00")
