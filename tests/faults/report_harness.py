"""The weekly fan-out as the fault test and `bench.faults_worker` stage it: users owed this
week's report, some of whom blocked the bot, and what the database says about each report."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy import insert, select

from core.db.models import ReportStatus, User, WeeklyReport
from core.infra.resources import Resources
from tests.fakes.telegram import FakeTelegram
from tests.report.conftest import LONG_AGO

FIRST_ID = 700_001


async def seed_report_users(
    resources: Resources, fake: FakeTelegram, users: int, blocked: int
) -> tuple[list[int], list[int]]:
    """Users who joined long ago, owed this week's report; the first `blocked` blocked the
    bot. Returns the chats of the reachable ones and of the blocked ones."""
    ids = list(range(FIRST_ID, FIRST_ID + users))
    async with resources.sessionmaker() as db:
        rows = [{"telegram_id": i, "chat_id": i, "created_at": LONG_AGO} for i in ids]
        await db.execute(insert(User), rows)
        await db.commit()
    for telegram_id in ids:
        fake.add_user(f"User {telegram_id}", user_id=telegram_id)
    for telegram_id in ids[:blocked]:
        fake.block(telegram_id)
    return ids[blocked:], ids[:blocked]


def reports_settled(database: Path) -> bool:
    """No report is left pending or on its way (read from the SQLite file, without a loop)."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        (left,) = conn.execute(
            "SELECT count(*) FROM weekly_reports WHERE status IN ('pending', 'sending')"
        ).fetchone()
    return int(left) == 0


def delivered(fake: FakeTelegram, chats: list[int]) -> dict[int, int]:
    """Messages each chat received."""
    return {chat: len(fake.bot_messages(chat)) for chat in chats}


async def inactive_and_unknown(resources: Resources) -> tuple[set[int], set[int]]:
    """Chats marked inactive (blocked the bot), and active chats whose report was given up
    because a kill left its send's fate unknown."""
    async with resources.sessionmaker() as db:
        inactive = set(await db.scalars(select(User.telegram_id).where(~User.active)))
        unknown = set(
            await db.scalars(
                select(User.telegram_id)
                .join(WeeklyReport, WeeklyReport.user_id == User.id)
                .where(User.active, WeeklyReport.status == ReportStatus.failed)
            )
        )
    return inactive, unknown
