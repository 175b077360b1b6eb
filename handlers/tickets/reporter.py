"""Who reported a ticket's matter and how to reach them, as a department's card shows it: the department must be
able to call back (the villager was promised a call within the deadline)."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q

from handlers.common.privacy import mask_private
from models import Attachment, Household, Person, Request
from models.area_cache import area_of
from models.request_queries import ancestor_at
from models.shapes import Shape

# one read for the request and every report merged into it (a join, not a read of the reports first); its text
# is built once (models/shapes.py): each whistled matter's card asks it
_PHOTOS = Shape(
    lambda request_id: Attachment.filter(Q(request_id=request_id) | Q(request__merged_into_id=request_id)).only("id")
)


@dataclass(frozen=True)
class Reporter:
    name: str  # the person who spoke, else the household's head; "" when nobody is known
    household: str  # 姜大海户 (前屯), "" without a household
    phone: str  # in full: only for a card in the liaison's own chat
    address: str  # the household's address, in full likewise
    photos: int  # photos and files attached to the matter (by every household that reported it)

    def masked(self) -> Reporter:
        """The same, as it may be shown where others read it."""
        return Reporter(
            self.name,
            self.household,
            mask_private(self.phone),
            mask_private(self.address),
            self.photos,
        )


async def reporter_of(request: Request) -> Reporter:
    # the sender as the request holds them: one recorded in this very message has them already, without a read
    sender = request.sender if request.sender_id else None
    person = await sender if sender is not None else None
    household_id = request.household_id or (person.household_id if person else None)
    household = await Household.get_or_none(id=household_id) if household_id else None
    phone = person.mobile if person and person.mobile else ""
    if household is not None and not phone:  # a relayed request: the household's own phone, if any member has one
        member = await Person.filter(household_id=household.id).exclude(mobile="").order_by("id").first()
        phone = member.mobile if member else ""
    hamlet = await ancestor_at(await area_of(household.grid_id), "hamlet") if household else None
    household_words = f"{household.head}户" + (f"（{hamlet.name}）" if hamlet else "") if household else ""
    return Reporter(
        name=person.name if person else (household.head if household else ""),
        household=household_words,
        phone=phone,
        address=household.address if household else "",
        photos=len(await _PHOTOS.rows(request.id)),
    )
