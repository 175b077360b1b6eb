"""A matter that is not urgent, told in the quiet hours: the villager's first answer names who is on duty
tonight and when the matter will be handled (when the quiet hours end and notices go out again)."""

from __future__ import annotations

from config.timezone import SHANGHAI
from handlers.core.context import Services
from handlers.shifts.roster import on_shift, shift_at
from models import Request
from models.area_cache import area_of
from models.request_queries import ancestor_at


async def night_note(services: Services, request: Request) -> str:
    """The sentence to add to the first answer; "" by day or for an urgent matter (it goes out at once)."""
    quiet = services.reach.quiet
    now = request.created_at.astimezone(SHANGHAI)
    if request.urgency == "urgent" or not quiet.is_quiet(now):
        return ""
    texts = services.texts
    area = await area_of(request.area_id)
    shift = shift_at(services.policy.shifts, now)
    who = []
    for level in ("village", "township"):
        place = await ancestor_at(area, level)
        duty = (await on_shift(place, shift)).get("duty")
        if place is not None and duty is not None:
            who.append(texts.render("shifts.night_who", area=place.name, name=duty.name))
    when = quiet.next_allowed(now)
    day = texts.render("shifts.word_today" if when.date() == now.date() else "shifts.word_tomorrow")
    return texts.render(
        "shifts.night_note",
        who="，".join(who) if who else texts.render("shifts.night_nobody"),
        day=day,
        time=f"{when:%H:%M}",
    )
