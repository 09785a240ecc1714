"""Stored times come back as they went in: aware, in UTC, to the microsecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from core.db.engine import SessionMaker, transaction
from core.db.models import User


async def test_times_come_back_aware_in_utc(sessionmaker: SessionMaker) -> None:
    berlin = timezone(timedelta(hours=1))
    sent = {
        1: datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=berlin),
        2: datetime(2026, 3, 1, 9, 30, tzinfo=UTC),  # whole seconds
    }
    async with transaction(sessionmaker) as db:
        for telegram_id, moment in sent.items():
            db.add(User(telegram_id=telegram_id, chat_id=telegram_id, created_at=moment))
    async with sessionmaker() as db:
        back = dict((await db.execute(select(User.telegram_id, User.created_at))).all())
    assert back == sent
    assert all(moment.utcoffset() == timedelta(0) for moment in back.values())
    assert back[1].hour == 8 and back[1].microsecond == 123456
