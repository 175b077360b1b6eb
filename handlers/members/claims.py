"""实事 认领: a cadre or serving Party member takes a villager's request on as one of their 实事.

The request moves to `claimed` (models/request_states.py) with an event naming who; the villager and the
township committee hear who took it. A claim starts a new 实事 (`实事 认领 #N`, the offer's first button) or
joins one of the member's open ones (`实事 并入 2 #N`, the offer's other buttons), so one 实事 may gather several
requests. The task's 完成 resolves every request it holds as a department's 办结 would (each villager is asked to
rate it), its 撤销 gives them all back to the grid, and `实事 撤销 2 #N` gives back that one request only.

Which task holds a request: the task started by the claim has it as `request`; a claim joining a task names the
task in its `claimed` event's data (`{"task": id}`). Only a request still `claimed`, whose latest claim names
the task, is held by it.
"""

from __future__ import annotations

from config.errors import UserError
from handlers.common.privacy import mask_private
from handlers.core.context import Services
from handlers.requests.hearback import request_resolved, tell_requester
from handlers.tasks import service as tasks
from models import PracticalTask, Request, Role
from models.area_tree import AreaTree
from models.lifecycle import Event
from models.members import PartyMember
from models.people import Person
from models.request_states import CLAIMABLE, RequestState, move_request
from models.tickets import TicketEvent


async def claim(
    services: Services, cadre: Person, request: Request, into: PracticalTask | None = None
) -> tuple[PracticalTask, Request]:
    """The claim, the task (new, or `into`: one of the cadre's open ones) and the news in the caller's transaction;
    returns the task and the request claimed (the one merged into, if any). A UserError when it cannot be."""
    now = services.clock.now()
    if into is not None:
        tasks.require_open(into)
    if request.merged_into_id:  # the matter is the request it was merged into
        request = await Request.get(id=request.merged_into_id)
    if request.status == RequestState.CLAIMED:  # who holds it: the latest claim's maker (a new 实事 or a joined one)
        latest = (
            await TicketEvent.filter(request=request, kind="claimed").order_by("-id").prefetch_related("actor").first()
        )
        name = latest.actor.name if latest is not None and latest.actor is not None else ""
        raise UserError("tasks.request_claimed", number=request.number, name=name)
    event = Event("claimed", request=request, actor=cadre, data={"task": into.id} if into is not None else {})
    moved = None
    if request.status in CLAIMABLE:
        moved = await move_request(request, RequestState.CLAIMED, now, event=event, only_from=CLAIMABLE)
    if moved is None:
        status = services.texts.render(f"requests.status_name.{request.status}")
        raise UserError("members.claim_not_open", number=request.number, status=status)
    title = request.text.strip().splitlines()[0][:40] if request.text.strip() else f"#{request.number}"
    if into is None:
        await request.fetch_related("household", "area")
        task = await tasks.register(
            cadre,
            year=now.year,
            title=title,
            description=request.text,
            household=request.household,
            area=request.area,
            request=request,
            now=now,
        )
        key = f"members:claimed:{task.id}"
    else:
        task = into
        key = f"members:claimed:{task.id}:{moved.event.id if moved.event else request.id}"
    who = await who_is(services, cadre)
    await tell_requester(services, request, services.texts.render("members.claimed_news", who=who), dedupe_key=key)
    tree = await AreaTree.load()
    township = tree.township_of(request.area_id)
    if township is not None:
        committee = await Role.filter(area_id=township.id, role="township_committee").prefetch_related("person")
        text = services.texts.render(
            "members.claimed_township", who=who, number=request.number, title=mask_private(title)
        )
        await services.reach.people([r.person.userid for r in committee if r.person.userid], text=text, dedupe_key=key)
    return task, request


async def held_by(task: PracticalTask) -> list[Request]:
    """The requests `task` holds now: still `claimed`, and their latest claim is this task's (see the top)."""
    claimed = await TicketEvent.filter(kind="claimed", actor_id=task.cadre_id).values_list("request_id", "data")
    candidates = {request_id for request_id, data in claimed if (data or {}).get("task") == task.id}
    if task.request_id is not None:
        candidates.add(task.request_id)
    held = []
    for request in await Request.filter(id__in=candidates, status=RequestState.CLAIMED).order_by("id"):
        latest = await TicketEvent.filter(kind="claimed", request_id=request.id).order_by("-id").first()
        named = (latest.data or {}).get("task") if latest is not None else None
        if named == task.id or (named is None and request.id == task.request_id):
            held.append(request)
    return held


async def who_is(services: Services, person: Person) -> str:
    """How a villager is told who took their matter: a member with their unit, else a cadre by name."""
    member = await PartyMember.get_or_none(person_id=person.id, status="confirmed")
    if member is None:
        return services.texts.render("members.who_cadre", name=person.name)
    return services.texts.render("members.who_member", name=person.name, unit=member.unit_name)


def _key(kind: str, task: PracticalTask, request: Request) -> str:
    """The task's own request keeps the key it always had; a joined one adds its id (each villager hears once)."""
    return f"members:{kind}:{task.id}" if request.id == task.request_id else f"members:{kind}:{task.id}:{request.id}"


async def task_finished(services: Services, task: PracticalTask, cadre: Person) -> int:
    """A task holding claimed requests is done: each is resolved, its villagers told and asked to rate it."""
    held = await held_by(task)
    note = services.texts.render("members.done_note", who=await who_is(services, cadre), result=task.result)
    for request in held:
        await request_resolved(services, request, note, dedupe_key=_key("done", task, request), actor=cadre)
    return len(held)


async def task_cancelled(services: Services, task: PracticalTask, cadre: Person) -> None:
    """A task holding claimed requests is cancelled: each goes back to the grid, and its villager hears it."""
    for request in await held_by(task):
        await give_back(services, task, request, cadre, task.cancel_reason)


async def give_back(services: Services, task: PracticalTask, request: Request, cadre: Person, reason: str) -> bool:
    """One claimed request back to the grid (the task stays as it is); True when it moved."""
    event = Event("unclaimed", request=request, actor=cadre, reason=reason, data={"task": task.id})
    if not await move_request(request, RequestState.KEPT_IN_GRID, services.clock.now(), event=event):
        return False
    await tell_requester(
        services, request, services.texts.render("members.unclaimed_news"), dedupe_key=_key("unclaimed", task, request)
    )
    return True
