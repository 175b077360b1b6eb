"""What a villager is told about a request: where it went, what happens next, how it stands now."""

from __future__ import annotations

from handlers.common.format import summary
from handlers.core.context import Services
from handlers.requests.service import VILLAGE, Recorded, handled_as, with_village
from handlers.shifts.night import night_note
from models import Assignment, Request, Ticket
from models.area_cache import departments_by_code
from models.assignment_states import AssignmentState as A
from models.request_states import FINISHED, RequestState


async def department_names(request: Request) -> str:
    codes = [request.primary, *[c for c in request.also if c != request.primary]]
    names = {c: d.name for c, d in (await departments_by_code(codes)).items()}
    return "、".join(names[c] for c in codes if c in names) or "相关部门"


def promise(services: Services, request: Request) -> str:
    promises = services.policy.requests.promise
    if request.primary == VILLAGE:
        return promises.village
    return promises.urgent if request.urgency == "urgent" else promises.normal


async def recorded_answer(services: Services, recorded: Recorded) -> str:
    """The first answer: number, where it went, what happens next."""
    texts, main = services.texts, recorded.handled_as
    if recorded.request.id != main.id:
        return texts.render(
            "requests.merged",
            number=main.number,
            households=recorded.households,
            where=await where_words(services, main),
        )
    if main.primary == VILLAGE:
        first = texts.render("requests.recorded_village", number=main.number, promise=promise(services, main))
        return first + await night_note(services, main)
    if await with_village(main):  # the village tier: with the village, not yet a department
        first = texts.render("village.recorded", number=main.number, promise=services.policy.requests.promise.village)
        return first + await night_note(services, main)
    key = "requests.recorded_urgent" if main.urgency == "urgent" else "requests.recorded"
    first = texts.render(
        key, number=main.number, departments=await department_names(main), promise=promise(services, main)
    )
    return first + await night_note(services, main)  # at night: who is on duty, and when it is handled


async def where_words(services: Services, request: Request) -> str:
    if request.primary == VILLAGE or request.status == RequestState.KEPT_IN_GRID or await with_village(request):
        return services.texts.render("requests.where_village")
    return services.texts.render("requests.where_departments", departments=await department_names(request))


async def status_words(services: Services, request: Request) -> str:
    """How the request stands, for a follow-up question."""
    texts, main = services.texts, await handled_as(request)
    status = request.status if request.status in FINISHED else main.status
    if status != RequestState.WHISTLED:
        return texts.render(f"requests.status.{status}", departments=await department_names(main))
    ticket = await Ticket.filter(request_id=main.id).order_by("-id").first()
    parts = await Assignment.filter(ticket_id=ticket.id).prefetch_related("department") if ticket else []
    progress = []
    for state_key, states in (
        ("on_duty", (A.ON_DUTY, A.IN_PROGRESS)),
        ("waiting", (A.NOTIFIED,)),
        ("done_parts", (A.DONE,)),
    ):
        names = "、".join(a.department.name for a in parts if a.state in states)
        if names:
            progress.append(texts.render(f"requests.status.{state_key}", departments=names))
    departments = "、".join(a.department.name for a in parts) or await department_names(main)
    return texts.render("requests.status.whistled", departments=departments, progress="".join(progress))


async def followup_answer(services: Services, request: Request) -> str:
    main = await handled_as(request)
    return services.texts.render(
        "requests.followup",
        number=main.number,
        summary=summary(main.text),
        status=await status_words(services, request),
    )
