"""Fan-out: 500 users, the tick run twice, two workers, the fake Bot API's 30 msg/s limit.

Every user gets exactly one report; the only 429s are the ones the fake was told to give,
and those are waited out. The full 500 at Telegram's real rate take about 20 s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis
from sqlalchemy import insert, select

from core.db.models import ReportStatus, User
from core.infra.resources import Resources
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.report.conftest import LONG_AGO, Plan, add_session, reports_of, run_workers, tick

USERS = 500
WITH_DATA = 20  # these get a chart; the others a short note about an empty week
FIRST_ID = 900_001
MONDAY = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
INJECTED_429 = {"sendMessage": 3, "sendPhoto": 2}


@pytest.fixture
def fanout_settings(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> Settings:
    return make_settings(database={"url": sqlite_url}, telegram={"api_url": fake_telegram.url})


async def seed(settings: Settings, fake: FakeTelegram) -> None:
    resources = Resources.open(settings)
    ids = range(FIRST_ID, FIRST_ID + USERS)
    async with resources.sessionmaker() as db:
        await db.execute(
            insert(User),
            [
                {"telegram_id": i, "chat_id": i, "timezone": "UTC", "created_at": LONG_AGO}
                for i in ids
            ],
        )
        users = {u.telegram_id: u for u in (await db.execute(select(User))).scalars()}
        for telegram_id in list(ids)[:WITH_DATA]:
            events = [("github.com", 40.0, False), ("reddit.com", 10.0, False)]
            solutions = ["pomodoro"]
            plan = Plan(MONDAY - timedelta(days=3), 50, events, review=("yes", 4, 2, solutions))
            await add_session(db, users[telegram_id], plan)
        await db.commit()
    await resources.close()
    for telegram_id in ids:
        fake.add_user(f"User {telegram_id}", user_id=telegram_id)


async def test_each_of_500_users_gets_exactly_one_report(
    fanout_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    await seed(fanout_settings, fake_telegram)
    for method, times in INJECTED_429.items():
        fake_telegram.fail_next(method, times, retry_after=1)
    resources = Resources.open(fanout_settings)
    try:
        claimed = [
            await tick(resources, MONDAY),
            await tick(resources, MONDAY + timedelta(minutes=5)),
        ]
        await run_workers(fanout_settings, count=2)
        rows = await reports_of(resources)
    finally:
        await resources.close()

    assert claimed == [USERS, 0]
    assert Counter(row.status for row in rows) == {ReportStatus.sent: USERS}
    chats = range(FIRST_ID, FIRST_ID + USERS)
    received = {chat: fake_telegram.bot_messages(chat) for chat in chats}
    assert {chat: len(messages) for chat, messages in received.items()} == dict.fromkeys(chats, 1)
    charts = [chat for chat, messages in received.items() if messages[0].photo is not None]
    assert len(charts) == WITH_DATA
    too_many = Counter(c.method for c in fake_telegram.errors if c.status == 429)
    assert too_many == INJECTED_429  # the limiter itself never ran into Telegram's limit
    assert [c for c in fake_telegram.errors if c.status != 429] == []
