"""A flow's trail as a person reads it: its steps (who, deadline, done when, by whom, result) and its events,
in Beijing time; `权力 查看 N` and `gridwhistle power show N` print the same lines."""

from __future__ import annotations

from typing import Any

from config.texts import Texts
from handlers.powers.format import when
from handlers.powers.people import post_name
from models import Person, PowerEvent, PowerFlow, PowerStep
from models.area_cache import area_required


async def flow_lines(texts: Texts, flow: PowerFlow) -> list[str]:
    village = await area_required(flow.village_id)
    starter = await Person.get_or_none(id=flow.started_by_id) if flow.started_by_id else None
    lines = [
        texts.render(
            "powers.trail.flow",
            flow=flow.id,
            village=village.name,
            item=flow.item_name,
            subject=flow.subject,
            status=texts.render(f"powers.trail.status.{flow.status}"),
            starter=starter.name if starter else "—",
            at=when(flow.started_at),
        )
    ]
    people = {p.id: p.name for p in await Person.filter(id__in=await _actor_ids(flow))}
    for step in await PowerStep.filter(flow_id=flow.id).order_by("position"):
        lines.append(
            texts.render(
                "powers.trail.step",
                position=step.position,
                step=step.name,
                who=step.who,
                post=post_name(step.post),
                due=when(step.due_at),
                public=texts.render("powers.trail.public") if step.public else "",
                state=(
                    texts.render("powers.trail.done", at=when(step.done_at), by=people.get(step.done_by_id or 0, "—"))
                    if step.done_at
                    else texts.render("powers.trail.pending")
                ),
                result=texts.render("powers.trail.result", result=step.result) if step.result else "",
            )
        )
    events = await PowerEvent.filter(flow_id=flow.id).order_by("at", "id")
    lines.append(texts.render("powers.trail.events", count=len(events)))
    for event in events:
        lines.append(
            texts.render(
                "powers.trail.event",
                at=when(event.at),
                kind=texts.render(f"powers.trail.kind.{event.kind}"),
                step=texts.render("powers.trail.at_step", position=event.position) if event.position else "",
                actor=people.get(event.actor_id or 0, ""),
                detail=_detail(texts, event.data),
            ).rstrip()
        )
    return lines


async def _actor_ids(flow: PowerFlow) -> list[int]:
    ids: list[int | None] = [e.actor_id for e in await PowerEvent.filter(flow_id=flow.id)]
    ids += [s.done_by_id for s in await PowerStep.filter(flow_id=flow.id)]
    return [i for i in set(ids) if i is not None]


def _detail(texts: Texts, data: dict[str, Any]) -> str:
    if "warning" in data:
        return texts.render(f"powers.warning.kind.{data['warning']}") + (
            texts.render("powers.trail.to", people="、".join(data.get("to", []))) if data.get("to") else ""
        )
    if "chats" in data:
        return texts.render("powers.trail.chats", chats="、".join(data["chats"]) or "—")
    if data.get("result"):
        return data["result"]
    return data.get("subject", "")
