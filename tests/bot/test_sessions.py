"""Focus sessions end to end: /done and /cancel neutralise "time's up", one reminder at most,
the sweep recovers lost jobs, a blocked bot marks the user inactive, browser starts are told."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from arq import Retry
from arq.connections import ArqRedis
from redis.asyncio import Redis
from sqlalchemy import update

from bot.factory import create_bot
from core.db.base import utcnow
from core.db.engine import SessionMaker, transaction
from core.db.models import FocusSession, SessionSource, SessionStatus
from core.infra.queue import queue_session_started
from core.infra.resources import Resources
from core.sessions.lifecycle import end_session, start_session
from core.settings import Settings
from jobs.sessions import reconcile_sessions, session_due
from tests.bot.conftest import Chat, PollingBot, last_session, run_jobs, travel_to_end, user_of
from tests.fakes.telegram import FakeTelegram


async def due_now(redis: Redis, job_id: str) -> None:
    """Time travel for one deferred job."""
    assert await redis.zadd(
        "arq:queue", {job_id: int(utcnow().timestamp() * 1000)}, xx=True, ch=True
    )


async def test_done_offers_the_review_once_and_reminds_once(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/done", "No focus session is running.")
    await ann.say("/focus 90 write chapter 2", "Focus on write chapter 2")
    ended = await ann.say("/done", "Session ended at")
    assert ended.button_texts == ["Review now"]
    session = await last_session(db_of, ann.user.id)
    assert session.status == SessionStatus.ended

    await travel_to_end(redis, db_of, session.id)
    await run_jobs(polling_bot.settings, redis)
    assert not [m for m in fake_telegram.bot_messages(ann.user) if "Time's up" in m.content]

    async with transaction(db_of) as db:  # an hour and a bit later
        await db.execute(
            update(FocusSession)
            .where(FocusSession.id == session.id)
            .values(due_notified_at=utcnow() - timedelta(hours=1, minutes=2))
        )
    await due_now(redis, f"remind:{session.id}")
    await run_jobs(polling_bot.settings, redis)
    reminder = await fake_telegram.wait_for_text(
        ann.user, "is still waiting for its one-minute review"
    )
    assert reminder.button_texts == ["Review now"]
    await sweep(polling_bot.settings)  # the sweep finds nothing more to send
    await run_jobs(polling_bot.settings, redis)
    assert sum("still waiting" in m.content for m in fake_telegram.bot_messages(ann.user)) == 1


async def test_cancel_drops_the_session_and_its_times_up(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 25 answer email", "Focus on answer email")
    await ann.say("/cancel", "Session dropped: answer email")
    session = await last_session(db_of, ann.user.id)
    await travel_to_end(redis, db_of, session.id)
    await run_jobs(polling_bot.settings, redis)
    assert session.id and not [
        m for m in fake_telegram.bot_messages(ann.user) if "Time's up" in m.content
    ]
    async with db_of() as db:
        assert (await db.get(FocusSession, session.id)).status == SessionStatus.cancelled  # type: ignore[union-attr]


async def test_the_sweep_sends_a_times_up_whose_job_was_lost(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 25 read", "Focus on read")
    session = await last_session(db_of, ann.user.id)
    await travel_to_end(redis, db_of, session.id)
    await redis.delete("arq:queue", f"arq:job:due:{session.id}")  # lost with its Redis
    async with transaction(db_of) as db:  # and the sweep's grace period has passed
        await db.execute(
            update(FocusSession)
            .where(FocusSession.id == session.id)
            .values(planned_end=utcnow() - timedelta(minutes=1))
        )
    assert await sweep(polling_bot.settings) == 1
    await run_jobs(polling_bot.settings, redis)
    await fake_telegram.wait_for_text(ann.user, "Time's up: read")
    assert await sweep(polling_bot.settings) == 0
    await run_jobs(polling_bot.settings, redis)
    assert sum("Time's up" in m.content for m in fake_telegram.bot_messages(ann.user)) == 1


async def test_a_user_who_blocked_the_bot_is_marked_inactive(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 25 deep work", "Focus on deep work")
    session = await last_session(db_of, ann.user.id)
    fake_telegram.block(ann.user)
    await travel_to_end(redis, db_of, session.id)
    await run_jobs(polling_bot.settings, redis)
    assert [c.status for c in fake_telegram.calls_of("sendMessage")][-1] == 403
    assert not (await user_of(db_of, ann.user.id)).active
    fake_telegram.unblock(ann.user)
    await ann.say("/start", "Welcome back")
    assert (await user_of(db_of, ann.user.id)).active


async def test_a_session_started_in_the_browser_is_announced_once(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/start", "Hi Ann")
    user = await user_of(db_of, ann.user.id)
    async with transaction(db_of) as db:
        session = await start_session(
            db, user.id, minutes=50, goal="review PRs", source=SessionSource.extension
        )
    pool = ArqRedis(connection_pool=redis.connection_pool)
    for _ in range(2):  # a retried enqueue, a re-run job
        await redis.delete(f"arq:result:started:{session.id}")
        await queue_session_started(pool, session.id)
        await run_jobs(polling_bot.settings, redis)
    await fake_telegram.wait_for_text(ann.user, "Focus started from your browser: review PRs")
    assert sum("from your browser" in m.content for m in fake_telegram.bot_messages(ann.user)) == 1
    assert await redis.exists(f"arq:job:due:{session.id}")


async def test_a_session_ended_in_the_browser_is_offered_its_review_once(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 50 review PRs", "Focus on review PRs")
    session = await last_session(db_of, ann.user.id)
    async with transaction(db_of) as db:  # what POST /v1/session/end does
        await end_session(db, session.user_id)
    await run_job_now(polling_bot.settings, session_due, session.id)  # the API's `ended:` job

    offer = await fake_telegram.wait_for_text(ann.user, "You ended review PRs from the browser")
    assert offer.button_texts == ["Review now"]
    await travel_to_end(redis, db_of, session.id)  # the declared end comes later
    await run_jobs(polling_bot.settings, redis)
    texts = [m.content for m in fake_telegram.bot_messages(ann.user)]
    assert sum("from the browser" in t for t in texts) == 1
    assert not [t for t in texts if "Time's up" in t]


async def test_times_up_under_long_flood_control_waits_as_long_as_telegram_asks(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 25 write chapter 2", "Focus on write chapter 2")
    session = await last_session(db_of, ann.user.id)
    await travel_to_end(redis, db_of, session.id)
    fake_telegram.fail_next("sendMessage", 1, retry_after=90)  # too long to wait in the call

    with pytest.raises(Retry) as retry:
        await run_job_now(polling_bot.settings, session_due, session.id)
    assert retry.value.defer_score == 90_000  # Telegram's wait, not our own backoff
    assert await run_job_now(polling_bot.settings, session_due, session.id) == "sent"
    texts = [m.content for m in fake_telegram.bot_messages(ann.user)]
    assert sum("Time's up" in t for t in texts) == 1


async def run_job_now(settings: Settings, job: Any, *args: Any) -> Any:
    """Run one job as the worker would, without a queue in between."""
    ctx: dict[str, Any] = {"resources": Resources.open(settings), "job_try": 1}
    ctx["bot"] = create_bot(settings)
    try:
        return await job(ctx, *args)
    finally:
        await ctx["bot"].session.close()
        await ctx["resources"].close()


async def sweep(settings: Settings) -> int:
    resources = Resources.open(settings)
    try:
        return await reconcile_sessions({"resources": resources})
    finally:
        await resources.close()
