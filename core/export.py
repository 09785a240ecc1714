"""A user's data: all of it as one JSON document, or deleted for good."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import (
    ActivityEvent,
    Analysis,
    Base,
    Device,
    FocusSession,
    HostRule,
    Pairing,
    Review,
    User,
    WeeklyReport,
    utcnow,
)

FORMAT = "qtime-export/1"
SECRETS = frozenset({"token_hash", "code_hash"})  # hashes of credentials, useless to the user
# Child tables first, so deleting works with or without cascading foreign keys.
USER_TABLES: tuple[tuple[str, type[Base]], ...] = (
    ("analyses", Analysis),
    ("reviews", Review),
    ("events", ActivityEvent),
    ("sessions", FocusSession),
    ("pairings", Pairing),
    ("devices", Device),
    ("weekly_reports", WeeklyReport),
    ("host_rules", HostRule),
)


async def export_user(db: AsyncSession, user_id: int) -> dict[str, Any]:
    """Everything stored about the user, JSON-safe; nobody else's rows."""
    user = await db.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "user": _row(user),
    }
    for name, model in reversed(USER_TABLES):
        if name == "pairings":
            continue  # short-lived codes, not the user's data
        column = model.__table__.c.user_id
        result = await db.execute(select(model).where(column == user_id).order_by(*_order(model)))
        document[name] = [_row(row) for row in result.scalars()]
    return document


async def forget_user(db: AsyncSession, user_id: int) -> dict[str, int]:
    """Delete the user and all their rows; how many rows of each kind went."""
    if await db.get(User, user_id) is None:
        raise NotFound("no such user")
    counts: dict[str, int] = {}
    for name, model in USER_TABLES:
        column = model.__table__.c.user_id
        result = await db.execute(delete(model).where(column == user_id))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    await db.execute(delete(User).where(User.id == user_id))
    db.expunge_all()  # the deleted objects must not linger in the identity map
    return counts


def _order(model: type[Base]) -> list[Any]:
    return list(inspect(model).primary_key)


def _row(obj: Base) -> dict[str, Any]:
    columns = inspect(obj).mapper.column_attrs
    return {c.key: _json(getattr(obj, c.key)) for c in columns if c.key not in SECRETS}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value
