"""A user's own host categories, and the hosts they can be set for."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.models import ActivityEvent, Category, HostRule
from core.errors import InvalidInput

SETTABLE = (Category.on_task, Category.neutral, Category.distracting)
SEEN_WINDOW = timedelta(days=30)


def rules_query(user_id: int) -> Select[str, Category]:
    return select(HostRule.pattern, HostRule.category).where(HostRule.user_id == user_id)


def as_rules(rows: Iterable[tuple[str, str]]) -> dict[str, Category]:
    return {pattern: Category(category) for pattern, category in rows}


async def user_rules(db: AsyncSession, user_id: int) -> dict[str, Category]:
    """The user's rules by host pattern (the defaults are in `core.hosts.categories`)."""
    return as_rules(await db.execute(rules_query(user_id)))


async def set_category(db: AsyncSession, user_id: int, host: str, category: Category) -> HostRule:
    """Mark `host` (and its subdomains) on-task, neutral or distracting for this user."""
    if category not in SETTABLE:
        raise InvalidInput("a host is on-task, neutral or distracting")
    result = await db.execute(
        select(HostRule).where(HostRule.user_id == user_id, HostRule.pattern == host)
    )
    rule = result.scalar_one_or_none()
    if rule is None:
        rule = HostRule(user_id=user_id, pattern=host, category=category)
        db.add(rule)
    rule.category = category
    await db.flush()
    return rule


async def seen_hosts(
    db: AsyncSession, user_id: int, *, limit: int = 10, now: datetime | None = None
) -> list[str]:
    """Hosts from the user's recent sessions, the most visited first."""
    since = (now or utcnow()) - SEEN_WINDOW
    visits = func.count(ActivityEvent.id)
    result = await db.execute(
        select(ActivityEvent.host)
        .where(ActivityEvent.user_id == user_id, ActivityEvent.started_at >= since)
        .group_by(ActivityEvent.host)
        .order_by(visits.desc(), ActivityEvent.host)
        .limit(limit)
    )
    return list(result.scalars())
