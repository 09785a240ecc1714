"""A user's data: all of it as one JSON document, or deleted for good.

The document is written into a file the caller provides, a row per line: rows are read
in batches from a server-side cursor and encoded batch by batch off the event loop, so
neither memory nor the loop feels a long history.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from enum import Enum
from typing import IO, Any

from sqlalchemy import Column, Row, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import Base, utcnow
from core.db.models import (
    ActivityEvent,
    Analysis,
    Device,
    FocusSession,
    HostRule,
    Pairing,
    Review,
    User,
    WeeklyReport,
)
from core.errors import NotFound

FORMAT = "qtime-export/1"
SECRETS = frozenset({"token_hash", "code_hash"})  # hashes of credentials, useless to the user
BATCH = 1000  # rows read and encoded at a time
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
# Pairings are short-lived codes, not the user's data.
EXPORTED = [(name, model) for name, model in reversed(USER_TABLES) if name != "pairings"]


async def write_document(db: AsyncSession, user_id: int, target: IO[bytes]) -> None:
    """Everything stored about the user, and nobody else's rows, as JSON into `target`."""
    users = _table(User)
    found = (await db.execute(select(*_shown(users)).where(users.c.id == user_id))).first()
    if found is None:
        raise NotFound("no such user")
    header = {"format": FORMAT, "exported_at": utcnow().isoformat(), "user": _record(found)}
    target.write(json.dumps(header, ensure_ascii=False)[:-1].encode())  # the object stays open
    for name, model in EXPORTED:
        target.write(f',\n"{name}": ['.encode())
        first = True
        async for rows in _batches(db, model, user_id):
            await asyncio.to_thread(_write_rows, target, rows, first=first)
            first = False
        target.write(b"\n]")
    target.write(b"}\n")


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


def _table(model: type[Base]) -> Table:
    table: Table = model.__table__  # type: ignore[assignment]
    return table


def _shown(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns if column.name not in SECRETS]


async def _batches(
    db: AsyncSession, model: type[Base], user_id: int
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The user's rows of the table, a batch at a time; events and sessions in time order."""
    table = _table(model)
    order = [table.c.started_at] if "started_at" in table.c else []
    query = (
        select(*_shown(table))
        .where(table.c.user_id == user_id)
        .order_by(*order, *table.primary_key)
    )
    result = await db.stream(query.execution_options(yield_per=BATCH))
    async for rows in result.partitions():
        yield rows


def _write_rows(target: IO[bytes], rows: Sequence[Row[Any]], *, first: bool) -> None:
    lines = ",\n".join(json.dumps(_record(row), ensure_ascii=False) for row in rows)
    target.write(("\n" if first else ",\n").encode() + lines.encode())


def _record(row: Row[Any]) -> dict[str, Any]:
    return {key: _json(value) for key, value in row._mapping.items()}


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value
