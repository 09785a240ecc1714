"""Delivery edge cases: a user who blocked the bot, a worker that died mid-send, re-runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from core.accounts.users import upsert_telegram_user
from core.db.models import ReportStatus, User, WeeklyReport
from core.infra.queue import SEND_WEEKLY_REPORT, enqueue, report_job_id
from core.infra.resources import Resources
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.report.conftest import make_user, reports_of, run_workers, tick

MONDAY = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
ALICE = 501


async def one_user(resources: Resources, fake: FakeTelegram) -> int:
    fake.add_user("Alice", user_id=ALICE)
    async with resources.sessionmaker() as db:
        user = await make_user(db, ALICE)
        await db.commit()
        return user.id


async def test_a_user_who_blocked_the_bot_is_marked_inactive_and_skipped(
    resources: Resources, report_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    user_id = await one_user(resources, fake_telegram)
    fake_telegram.block(ALICE)

    await tick(resources, MONDAY)
    await run_workers(report_settings)

    async with resources.sessionmaker() as db:
        user = await db.get(User, user_id)
        assert user is not None and not user.active
    assert [(r.iso_week, r.status) for r in await reports_of(resources)] == [
        ("2026-W13", ReportStatus.failed)
    ]
    assert [c.status for c in fake_telegram.calls_of("sendMessage")] == [403]  # no retry

    next_monday = MONDAY + timedelta(days=7)
    assert await tick(resources, next_monday) == 0  # skipped while inactive
    fake_telegram.unblock(ALICE)
    async with resources.sessionmaker() as db:  # what /start does
        await upsert_telegram_user(db, telegram_id=ALICE, chat_id=ALICE)
        await db.commit()
    assert await tick(resources, next_monday) == 1
    await run_workers(report_settings)
    (report,) = fake_telegram.bot_messages(ALICE)
    assert "Your week · 30 Mar – 5 Apr 2026" in report.content


async def test_a_send_cut_short_by_a_dying_worker_is_never_repeated(
    resources: Resources, report_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    await one_user(resources, fake_telegram)
    assert await tick(resources, MONDAY) == 1
    async with resources.sessionmaker() as db:  # a worker claimed the message, then died
        await db.execute(update(WeeklyReport).values(status=ReportStatus.sending))
        await db.commit()

    await tick(resources, MONDAY + timedelta(hours=1))  # the stale claim is queued again
    await run_workers(report_settings)

    assert [r.status for r in await reports_of(resources)] == [ReportStatus.failed]
    assert fake_telegram.bot_messages(ALICE) == []


async def test_a_report_job_run_again_sends_nothing_more(
    resources: Resources, report_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    user_id = await one_user(resources, fake_telegram)
    await tick(resources, MONDAY)
    await run_workers(report_settings)
    for _ in range(2):  # arq re-running it, or the stale-claim sweep
        await enqueue(
            resources.redis,
            SEND_WEEKLY_REPORT,
            user_id,
            "2026-W13",
            job_id=report_job_id(user_id, "2026-W13"),
        )
        await run_workers(report_settings)

    (row,) = await reports_of(resources)
    assert row.status == ReportStatus.sent and len(row.message_ids) == 1
    assert len(fake_telegram.bot_messages(ALICE)) == 1


async def test_flood_control_longer_than_the_retries_defers_the_job(
    resources: Resources, report_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    await one_user(resources, fake_telegram)
    fake_telegram.fail_next("sendMessage", 5, retry_after=1)  # more than a send retries

    await tick(resources, MONDAY)
    await run_workers(report_settings)

    (row,) = await reports_of(resources)
    assert row.status == ReportStatus.sent
    assert len(fake_telegram.bot_messages(ALICE)) == 1
    assert [c.status for c in fake_telegram.calls_of("sendMessage")] == [429] * 5 + [200]
