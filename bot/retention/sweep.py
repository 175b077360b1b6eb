"""The retention sweep: what [retention] says is kept no longer, removed or anonymised, once a day.

- closed requests (closed, or resolved and never rated) older than `closed_request_months` since they
  last changed: phone, ID, bank card and house numbers in their text, updates, routing examples and
  events masked as a group would see them (nlp.privacy.mask_private), the way back to the sender
  (reply_context) forgotten; `anonymised_at` set so each request is done once.
- non-requests older than `non_request_days`: deleted.
- media copies older than `media_months`: the file deleted, the attachment kept as a fact without it.
- inbox payloads of handled messages and outbox texts already sent or given up, older than
  `messages_days`: emptied (the rows stay, so a WeCom retry or a reminder is still recognised).

A setting of 0 keeps that kind of data. Each run returns (and logs) how many of each it touched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.retention.redact import redact_event
from config.settings import RetentionSettings
from models import (
    Attachment,
    InboxMessage,
    NonRequest,
    OutboxMessage,
    Request,
    RequestUpdate,
    RoutingCorrection,
    TicketEvent,
)
from nlp.privacy import mask_private

log = logging.getLogger(__name__)

BATCH = 200  # requests per transaction: a long backlog is worked off without one huge lock
CLOSED = ("closed", "resolved")
EMPTIED: dict[str, bool] = {"retention": True}  # what an emptied payload holds instead


@dataclass
class Report:
    requests_anonymised: int = 0
    events_redacted: int = 0
    non_requests_deleted: int = 0
    media_deleted: int = 0
    inbox_emptied: int = 0
    outbox_emptied: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{f.name.replace('_', ' ')} {getattr(self, f.name)}" for f in fields(self))


def months_ago(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


async def sweep(policy: RetentionSettings, now: datetime) -> Report:
    report = Report()
    if policy.closed_request_months:
        await _anonymise_requests(months_ago(now, policy.closed_request_months), now, report)
    if policy.non_request_days:
        report.non_requests_deleted = await NonRequest.filter(
            created_at__lt=now - timedelta(days=policy.non_request_days)
        ).delete()
    if policy.media_months:
        report.media_deleted = await _expire_media(months_ago(now, policy.media_months))
    if policy.messages_days:
        before = now - timedelta(days=policy.messages_days)
        report.inbox_emptied = (
            await InboxMessage.filter(
                Q(processed_at__lt=before) | Q(processed_at__isnull=True, received_at__lt=before),
                status__in=("done", "failed"),
            )
            .exclude(payload=EMPTIED)
            .update(payload=EMPTIED)
        )
        report.outbox_emptied = (
            await OutboxMessage.filter(created_at__lt=before, status__in=("sent", "dead", "refused"))
            .exclude(payload=EMPTIED)
            .update(payload=EMPTIED)
        )
    log.info("retention sweep: %s", report)
    return report


async def _anonymise_requests(before: datetime, now: datetime, report: Report) -> None:
    while True:
        batch = await Request.filter(status__in=CLOSED, updated_at__lt=before, anonymised_at__isnull=True).limit(BATCH)
        if not batch:
            return
        for request in batch:
            async with in_transaction():
                report.events_redacted += await anonymise_request(
                    request, mask_private, why="retention", by="retention", now=now
                )
                report.requests_anonymised += 1


async def anonymise_request(request: Request, clean, *, why: str, by: str, now: datetime) -> int:  # noqa: ANN001
    """Pass a request's words through `clean` everywhere they are kept; returns the events redacted."""
    request.text = clean(request.text)
    request.reply_context = {}
    request.anonymised_at = now
    await request.save(update_fields=["text", "reply_context", "anonymised_at"])
    for update in await RequestUpdate.filter(request_id=request.id):
        update.text = clean(update.text)
        await update.save(update_fields=["text"])
    for example in await RoutingCorrection.filter(request_id=request.id):
        example.text = clean(example.text)
        await example.save(update_fields=["text"])
    redacted = 0
    events = await TicketEvent.filter(Q(request_id=request.id) | Q(ticket__request_id=request.id)).order_by("id")
    for event in events:
        redacted += await redact_event(event, clean, why=why, by=by, now=now)
    return redacted


async def _expire_media(before: datetime) -> int:
    expired = 0
    for attachment in await Attachment.filter(created_at__lt=before).exclude(local_path="", media_id=""):
        if attachment.local_path:
            Path(attachment.local_path).unlink(missing_ok=True)
        attachment.local_path = ""
        attachment.media_id = ""  # nothing left to copy either
        await attachment.save(update_fields=["local_path", "media_id"])
        expired += 1
    return expired
