"""Tortoise ORM models and the queries about them; no HTTP here."""

from models.aibot_link import AibotLink
from models.areas import AREA_LEVELS, Area, Department
from models.console_access import ConsoleSession, ConsoleToken
from models.members import MemberAnswer, MemberGrade, PartyMember
from models.messaging import ApiToken, InboxMessage, KfCursor, KfCustomer, OutboxMessage
from models.people import ROLES, CarePair, Chat, Household, Person, Role
from models.performance import IndexConfirmation, IndexScore
from models.posts import PostHolder
from models.powers import PowerAnswer, PowerEvent, PowerFlow, PowerStep, PowerWarning
from models.privacy_records import AccessRecord, EventRedaction
from models.requests import Attachment, Counter, Request, RoutingCorrection
from models.shifts import CountySetting, DutySlot
from models.tasks import PracticalTask, Visit
from models.tickets import AppendOnlyError, Assignment, Ticket, TicketEvent
from models.villager_notes import KfLink, NonRequest, RequestUpdate

MODEL_MODULES = [
    "models.areas",
    "models.people",
    "models.messaging",
    "models.requests",
    "models.tickets",
    "models.tasks",
    "models.villager_notes",
    "models.privacy_records",
    "models.shifts",
    "models.posts",
    "models.powers",
    "models.performance",
    "models.members",
    "models.console_access",
    "models.aibot_link",
    "models.rate_parts",
    "models.rate_snapshots",
]

__all__ = [
    "AccessRecord",
    "EventRedaction",
    "AREA_LEVELS",
    "ROLES",
    "ApiToken",
    "AppendOnlyError",
    "Area",
    "Assignment",
    "Attachment",
    "CarePair",
    "Chat",
    "Counter",
    "CountySetting",
    "Department",
    "DutySlot",
    "Household",
    "IndexConfirmation",
    "IndexScore",
    "InboxMessage",
    "KfCursor",
    "KfCustomer",
    "KfLink",
    "NonRequest",
    "RequestUpdate",
    "MODEL_MODULES",
    "OutboxMessage",
    "Person",
    "PostHolder",
    "PowerAnswer",
    "PowerEvent",
    "PowerFlow",
    "PowerStep",
    "PowerWarning",
    "PracticalTask",
    "Request",
    "Role",
    "RoutingCorrection",
    "Ticket",
    "TicketEvent",
    "Visit",
    "MemberAnswer",
    "MemberGrade",
    "PartyMember",
    "ConsoleSession",
    "ConsoleToken",
    "AibotLink",
]
