"""实事 认领: a cadre or serving Party member takes a villager's request on as one of their 实事.

The request moves to `claimed` (models/request_states.py) with an event naming who; the villager and the
township committee hear who took it; the task's 完成 resolves the request as a department's 办结 would (the
villager is asked to rate it), and its 撤销 gives the request back to the grid.
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


async def claim(services: Services, cadre: Person, request: Request) -> PracticalTask:
    """The claim, the task and the news in the caller's transaction; a UserError when it cannot be claimed."""
    now = services.clock.now()
    if request.merged_into_id:  # the matter is the request it was merged into
        request = await Request.get(id=request.merged_into_id)
    taken = await PracticalTask.filter(request=request).exclude(status="cancelled").prefetch_related("cadre").first()
    if taken is not None:
        raise UserError("tasks.request_claimed", number=request.number, name=taken.cadre.name)
    event = Event("claimed", request=request, actor=cadre)
    if request.status not in CLAIMABLE or not await move_request(
        request, RequestState.CLAIMED, now, event=event, only_from=CLAIMABLE
    ):
        status = services.texts.render(f"requests.status_name.{request.status}")
        raise UserError("members.claim_not_open", number=request.number, status=status)
    title = request.text.strip().splitlines()[0][:40] if request.text.strip() else f"#{request.number}"
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
    who = await who_is(services, cadre)
    await tell_requester(
        services,
        request,
        services.texts.render("members.claimed_news", who=who),
        dedupe_key=f"members:claimed:{task.id}",
    )
    tree = await AreaTree.load()
    township = tree.township_of(request.area_id)
    if township is not None:
        committee = await Role.filter(area_id=township.id, role="township_committee").prefetch_related("person")
        text = services.texts.render(
            "members.claimed_township", who=who, number=request.number, title=mask_private(title)
        )
        await services.reach.people(
            [r.person.userid for r in committee if r.person.userid], text=text, dedupe_key=f"members:claimed:{task.id}"
        )
    return task


async def who_is(services: Services, person: Person) -> str:
    """How a villager is told who took their matter: a member with their unit, else a cadre by name."""
    member = await PartyMember.get_or_none(person_id=person.id, status="confirmed")
    if member is None:
        return services.texts.render("members.who_cadre", name=person.name)
    return services.texts.render("members.who_member", name=person.name, unit=member.unit_name)


async def task_finished(services: Services, task: PracticalTask, cadre: Person) -> None:
    """A claimed request's task is done: the request is resolved, its villager told and asked to rate it."""
    request = await Request.get_or_none(id=task.request_id) if task.request_id else None
    if request is None or request.status != RequestState.CLAIMED:
        return
    note = services.texts.render("members.done_note", who=await who_is(services, cadre), result=task.result)
    await request_resolved(services, request, note, dedupe_key=f"members:done:{task.id}", actor=cadre)


async def task_cancelled(services: Services, task: PracticalTask, cadre: Person) -> None:
    """A claimed request's task is cancelled: the request goes back to the grid, and the villager hears it."""
    request = await Request.get_or_none(id=task.request_id) if task.request_id else None
    if request is None or request.status != RequestState.CLAIMED:
        return
    event = Event("unclaimed", request=request, actor=cadre, reason=task.cancel_reason)
    if await move_request(request, RequestState.KEPT_IN_GRID, services.clock.now(), event=event):
        await tell_requester(
            services,
            request,
            services.texts.render("members.unclaimed_news"),
            dedupe_key=f"members:unclaimed:{task.id}",
        )
