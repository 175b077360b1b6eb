"""A month of requests and tickets in the demo county, written straight into the database as the handlers
would have left them (requests, tickets, parts and their event trails), so the console has figures to show."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from models import Area, Assignment, Department, Request, Ticket, TicketEvent

TEXTS = ("村口路灯坏了一个月", "屯里自来水停了两天", "玉米补贴还没到账", "危房改造什么时候验收", "路上有个大坑很危险")
DEPARTMENTS = ("transport", "water", "agriculture", "housing", "power")


async def seed_month(now: datetime, *, per_grid: int = 6, seed: int = 7) -> None:
    """`per_grid` requests in each grid of the demo county over the 30 days before `now`."""
    rng = random.Random(seed)
    grids = await Area.filter(level="grid").order_by("code")
    townships = {a.id: a for a in await Area.filter(level="township")}
    parents = {a.id: a.parent_id for a in await Area.all()}
    departments = {d.code: d for d in await Department.filter(code__in=DEPARTMENTS)}
    number = 1000
    for grid in grids:
        township_id = grid.id
        while township_id not in townships:
            township_id = parents[township_id]
        for i in range(per_grid):
            number += 1
            created = now - timedelta(days=rng.uniform(0, 29), hours=rng.uniform(0, 5))
            urgent = rng.random() < 0.2
            whistled = i % 3 != 0
            request = await Request.create(
                number=number,
                text=f"{rng.choice(TEXTS)}，电话13912345678",
                channel="relay",
                area_id=grid.id,
                status="kept_in_grid" if not whistled else "whistled",
                primary="village" if not whistled else "transport",
                urgency="urgent" if urgent else "normal",
                created_at=created,
                updated_at=created,
            )
            await TicketEvent.create(request_id=request.id, kind="recorded", at=created)
            if not whistled:
                continue
            number += 1
            code = DEPARTMENTS[(number // 2) % len(DEPARTMENTS)]
            respond_due = created + timedelta(hours=1 if urgent else 24)
            resolve_due = created + timedelta(days=1 if urgent else 7)
            finished = rng.random() < 0.6
            ticket = await Ticket.create(
                number=number,
                request_id=request.id,
                township_id=township_id,
                urgency=request.urgency,
                status="resolved" if finished else "open",
                created_at=created,
                respond_due=respond_due,
                resolve_due=resolve_due,
                resolved_at=None,
            )
            department = departments[code]
            on_duty = created + timedelta(hours=rng.uniform(0.2, 30))
            done = on_duty + timedelta(days=rng.uniform(0.5, 9))
            state = "done" if finished and done <= now else ("on_duty" if on_duty <= now else "notified")
            if state != "done":
                await Ticket.filter(id=ticket.id).update(status="open")
            await Assignment.create(
                ticket_id=ticket.id,
                department_id=department.id,
                is_primary=True,
                state=state,
                notified_at=created,
                on_duty_at=on_duty if state != "notified" else None,
                done_at=done if state == "done" else None,
            )
            trail = {"respond_due": respond_due.isoformat(), "resolve_due": resolve_due.isoformat()}
            await TicketEvent.create(ticket_id=ticket.id, request_id=request.id, kind="whistled", at=created)
            await TicketEvent.create(
                ticket_id=ticket.id,
                request_id=request.id,
                department_id=department.id,
                kind="notified",
                data=trail,
                at=created,
            )
            if state in ("on_duty", "done"):
                await TicketEvent.create(
                    ticket_id=ticket.id, request_id=request.id, department_id=department.id, kind="on_duty", at=on_duty
                )
            if state == "done":
                await TicketEvent.create(
                    ticket_id=ticket.id, request_id=request.id, department_id=department.id, kind="done", at=done
                )
                rating = rng.choice(("satisfied", "satisfied", "basically_satisfied", "unsatisfied"))
                await Request.filter(id=request.id).update(status="closed", satisfaction=rating, resolved_at=done)
                await TicketEvent.create(
                    request_id=request.id,
                    kind="rated",
                    data={"satisfaction": rating},
                    at=min(done + timedelta(hours=2), now),
                )
