"""/report and /report last on demand, through the polling bot and the fake Bot API."""

from __future__ import annotations

from core.accounts.users import get_by_telegram_id
from core.db.base import utcnow
from core.infra.resources import Resources
from core.report.week import week_of
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeMessage, FakeUser
from tests.report.conftest import Plan, add_session


async def say(fake: FakeTelegram, user: FakeUser, text: str, expect: str) -> FakeMessage:
    since = fake.seq
    fake.send_message(user, text)
    return await fake.wait_for_text(user, expect, since=since)


async def test_report_shows_this_week_so_far_and_last_week(
    polling_bot: None, fake_telegram: FakeTelegram, resources: Resources
) -> None:
    alice = fake_telegram.add_user("Alice")
    await say(fake_telegram, alice, "/start", "Hi Alice")
    async with resources.sessionmaker() as db:
        user = await get_by_telegram_id(db, alice.id)
    assert user is not None
    now = utcnow()
    week = week_of(now, user.timezone)
    started = week.start + (now - week.start) / 2  # earlier this week, whatever today is
    plan = Plan(started, 25, [("github.com", 20, False)], review=("yes", 4, 2, []))
    async with resources.sessionmaker() as db:
        await add_session(db, user, plan)
        await db.commit()

    this_week = await say(fake_telegram, alice, "/report", "Your week so far")
    assert this_week.photo is not None
    assert "1 session · declared 25 min · tracked 20 min" in this_week.content
    assert "On-task 100% of active time" in this_week.content

    last_week = await say(fake_telegram, alice, "/report last", "No focus sessions this week")
    assert last_week.photo is None and "Your week ·" in last_week.content

    await say(fake_telegram, alice, "/report someday", "/report last for last week")
