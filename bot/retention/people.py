"""One person's (or household's) data: gathered for export, or erased where the law allows.

Both leave an access record (who, when, what). Erasing keeps the facts the audit trail needs — that
a request numbered #1042 was made on that day, routed, whistled, handled and rated — and removes the
words and the contact details: request texts, updates and event details become ERASED, the person's
name, mobile and customer-service id are removed. Cadres are not erased: their work is the county's
record; they leave by the org file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.retention.sweep import anonymise_request
from models import (
    AccessRecord,
    Attachment,
    Household,
    KfCustomer,
    KfLink,
    NonRequest,
    Person,
    Request,
    RequestUpdate,
    TicketEvent,
    Visit,
)

ERASED = "（应本人要求已删除）"
ERASED_NAME = "已删除"
ERASABLE_ROLES = {"villager"}


class SubjectError(Exception):
    """The person or household is unknown, or may not be erased; the message says which."""


@dataclass
class Subject:
    key: str  # person:USERID or household:CODE, as access records name it
    people: list[Person]
    household: Household | None


async def find(who: str) -> Subject:
    """A person by WeCom userid or customer-service id, else a household by its code."""
    person = await Person.filter(Q(userid=who) | Q(external_userid=who)).prefetch_related("household").first()
    if person is not None:
        return Subject(f"person:{who}", [person], person.household)
    household = await Household.get_or_none(code=who)
    if household is not None:
        return Subject(f"household:{who}", await Person.filter(household=household).order_by("id"), household)
    raise SubjectError(f"no person with userid {who!r} and no household with code {who!r}")


async def record_access(subject: Subject, *, actor: str, action: str, now: datetime, detail: str = "") -> None:
    await AccessRecord.create(actor=actor, action=action, subject=subject.key, via="command", detail=detail, at=now)


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def export(subject: Subject, *, actor: str, now: datetime) -> dict[str, Any]:
    """Everything kept about the subject, as plain data (written as JSON by the command)."""
    people = []
    for person in subject.people:
        roles = await person.roles.all().prefetch_related("area", "department")
        requests = await Request.filter(sender=person).order_by("number")
        people.append(
            {
                "name": person.name,
                "userid": person.userid,
                "external_userid": person.external_userid,
                "mobile": person.mobile,
                "roles": [
                    {
                        "role": r.role,
                        "area": r.area.name if r.area else None,
                        "department": r.department.name if r.department else None,
                    }
                    for r in roles
                ],
                "requests": [await _request(r) for r in requests],
                "non_requests": [
                    {"text": n.text, "kind": n.kind, "created_at": _when(n.created_at)}
                    for n in await NonRequest.filter(sender=person).order_by("id")
                ],
            }
        )
    household = subject.household
    data: dict[str, Any] = {
        "subject": subject.key,
        "exported_at": now.isoformat(),
        "exported_by": actor,
        "people": people,
    }
    if household is not None:
        data["household"] = {
            "code": household.code,
            "head": household.head,
            "address": household.address,
            "tags": household.tags,
            "requests": [await _request(r) for r in await Request.filter(household=household).order_by("number")],
            "visits": [
                {"visited_at": _when(v.visited_at), "note": v.note}
                for v in await Visit.filter(household=household).order_by("visited_at")
            ],
        }
    await record_access(subject, actor=actor, action="export", now=now)
    data["access_records"] = [
        {"at": _when(a.at), "actor": a.actor, "action": a.action, "via": a.via}
        for a in await AccessRecord.filter(subject=subject.key).order_by("id")
    ]
    return data


async def _request(request: Request) -> dict[str, Any]:
    events = await TicketEvent.filter(Q(request_id=request.id) | Q(ticket__request_id=request.id)).order_by("id")
    return {
        "number": request.number,
        "text": request.text,
        "channel": request.channel,
        "status": request.status,
        "created_at": _when(request.created_at),
        "resolved_at": _when(request.resolved_at),
        "satisfaction": request.satisfaction,
        "updates": [u.text for u in await RequestUpdate.filter(request_id=request.id).order_by("id")],
        "attachments": [
            {"kind": a.kind, "created_at": _when(a.created_at), "kept": bool(a.local_path)}
            for a in await Attachment.filter(request_id=request.id).order_by("id")
        ],
        "events": [{"kind": e.kind, "at": _when(e.at), "reason": e.reason} for e in events],
    }


@dataclass
class Erased:
    people: int = 0
    requests: int = 0
    events_redacted: int = 0
    non_requests: int = 0


async def erase(subject: Subject, *, actor: str, now: datetime) -> Erased:
    """Remove the subject's words and contact details, keeping the audit trail's facts; one transaction."""
    for person in subject.people:
        roles = {r.role for r in await person.roles.all()}
        if roles - ERASABLE_ROLES:
            raise SubjectError(
                f"{person.userid or person.name} holds cadre roles ({', '.join(sorted(roles - ERASABLE_ROLES))}); "
                "a cadre's work records are kept — remove them from the org file instead"
            )
    result = Erased()
    async with in_transaction():
        requests = {r.id: r for p in subject.people for r in await Request.filter(sender=p)}
        if subject.household is not None:
            requests |= {r.id: r for r in await Request.filter(household=subject.household)}
        for request in requests.values():
            result.events_redacted += await anonymise_request(
                request, lambda _: ERASED, why="erasure", by=actor, now=now
            )
            request.sender_ref = ""
            await request.save(update_fields=["sender_ref"])
            result.requests += 1
        for person in subject.people:
            result.non_requests += await NonRequest.filter(sender=person).delete()
            if person.external_userid:
                await KfLink.filter(external_userid=person.external_userid).delete()
                await KfCustomer.filter(external_userid=person.external_userid).update(person_id=None)
            person.name, person.mobile, person.external_userid = ERASED_NAME, "", None
            await person.save(update_fields=["name", "mobile", "external_userid"])
            result.people += 1
        if subject.household is not None:
            for visit in await Visit.filter(household=subject.household):
                visit.note = ERASED
                await visit.save(update_fields=["note"])
            subject.household.head, subject.household.address = ERASED_NAME, ""
            await subject.household.save(update_fields=["head", "address"])
        await record_access(subject, actor=actor, action="erase", now=now, detail=str(result.__dict__))
    return result
