"""Who may read the leaders' console: signed-in sessions (a cookie each) and API tokens (for scripts).

Only a SHA-256 of each secret is stored, so a copy of the database signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.people import Person


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ConsoleSession(Model):
    """One sign-in through WeCom: valid until `expires_at` or until signed out (`ended_at`)."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="console_sessions", on_delete=fields.CASCADE
    )
    person_id: int
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "console_session"


class ConsoleToken(Model):
    """An API token for /api/v1/, made by `gridwhistle token create`; it reads what its person may read."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="console_tokens", on_delete=fields.CASCADE
    )
    person_id: int
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "console_token"


async def start_session(person_id: int, now: datetime, lifetime: timedelta) -> str:
    """A new session for the person; returns the cookie's secret value."""
    secret = secrets.token_urlsafe(32)
    await ConsoleSession.create(
        token_hash=digest(secret), person_id=person_id, created_at=now, expires_at=now + lifetime
    )
    return secret


async def session_person(secret: str, now: datetime) -> int | None:
    """The person a cookie's secret signs in, if its session is neither expired nor ended."""
    session = await ConsoleSession.get_or_none(token_hash=digest(secret), ended_at=None, expires_at__gt=now)
    return session.person_id if session else None


async def end_session(secret: str, now: datetime) -> None:
    await ConsoleSession.filter(token_hash=digest(secret), ended_at=None).update(ended_at=now)


async def create_token(person_id: int, now: datetime) -> tuple[int, str]:
    """(the token's id, its secret): the secret is shown once and never stored."""
    secret = "gw_" + secrets.token_urlsafe(32)
    token = await ConsoleToken.create(token_hash=digest(secret), person_id=person_id, created_at=now)
    return token.id, secret


async def token_person(secret: str) -> int | None:
    token = await ConsoleToken.get_or_none(token_hash=digest(secret), revoked_at=None)
    return token.person_id if token else None


async def revoke_token(token_id: int, now: datetime) -> bool:
    return bool(await ConsoleToken.filter(id=token_id, revoked_at=None).update(revoked_at=now))
