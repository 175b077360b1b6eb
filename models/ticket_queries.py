"""Questions about tickets and the people around them: whose township, who is liaison, which ticket is #N."""

from __future__ import annotations

from models import Area, Assignment, Department, Person, Request, Role, Ticket
from models.area_cache import area_of, area_required, per_pass


async def ancestor_at(area: Area | None, level: str) -> Area | None:
    """The area itself or its nearest ancestor at `level` (e.g. the township of a grid)."""
    seen = 0
    while area is not None and seen < 8:
        if area.level == level:
            return area
        if area.parent_id is None:
            return None
        area = await area_required(area.parent_id)
        seen += 1
    return None


async def people_with_role(
    role: str, *, area: Area | None = None, department: Department | None = None
) -> list[Person]:
    query = Role.filter(role=role)
    if area is not None:
        query = query.filter(area_id=area.id)
    if department is not None:
        query = query.filter(department_id=department.id)
    key = ("role_holders", (role, area.id if area else None, department.id if department else None))
    roles = await per_pass(key, lambda: query.order_by("person_id").select_related("person"))  # org data
    return list({role.person.id: role.person for role in roles}.values())


async def committee_of(township: Area) -> list[Person]:
    return await people_with_role("township_committee", area=township)


async def liaisons_of(department: Department) -> list[Person]:
    return await people_with_role("liaison", department=department)


async def village_secretaries(area: Area | None) -> list[Person]:
    """The village secretary and the first secretary (双书记) of the area's village."""
    village = await ancestor_at(area, "village")
    if village is None:
        return []
    return [
        *await people_with_role("village_secretary", area=village),
        *await people_with_role("first_secretary", area=village),
    ]


async def ticket_by_number(number: int) -> Ticket | None:
    """#N as a ticket number, or as a request number (its latest ticket)."""
    ticket = await Ticket.get_or_none(number=number)
    if ticket is None:
        request = await Request.get_or_none(number=number)
        if request is not None:
            ticket = await Ticket.filter(request_id=request.id).order_by("-id").first()
    return ticket


async def assignments_of(ticket: Ticket, *states: str) -> list[Assignment]:
    query = Assignment.filter(ticket_id=ticket.id)
    if states:
        query = query.filter(state__in=states)
    return await query.order_by("-is_primary", "id").prefetch_related("department")


def department_list(assignments: list[Assignment]) -> str:
    return "、".join(a.department.name for a in assignments)


async def place_of(area: Area | None) -> str:
    """Where a matter is, as a villager would say it: village, hamlet and grid names (后道老村前屯1网格)."""
    names: list[str] = []
    while area is not None and area.level in ("village", "hamlet", "grid"):
        names.append(area.name)
        area = await area_of(area.parent_id)
    return "".join(reversed(names))
