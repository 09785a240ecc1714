"""Session messages: "time's up" when the declared time ends, one review reminder, and the
note that a session started from the browser.

Each message is claimed in the database (or, for the start note, in Redis) before it is
sent, so a re-run job never sends it twice; a send that fails for a passing reason
(network, Telegram 5xx, long flood control) releases the claim and retries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, NamedTuple

from arq import Retry
from arq.worker import func
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.notify import Notifier
from bot.texts import focus as texts
from bot.texts import local_time, quote
from core.db.base import utcnow
from core.db.engine import create_reader_sessionmaker, transaction
from core.infra import events_bus
from core.infra.queue import (
    REVIEW_REMINDER,
    SESSION_DUE,
    SESSION_STARTED,
    due_job_id,
    queue_review_reminder,
    queue_session_due,
    reminder_job_id,
    requeue,
)
from core.infra.resources import Resources
from core.sessions import notices
from jobs.retry import PASSING, retry_send
from jobs.sending import send_slot

log = logging.getLogger(__name__)

RETRY_SECONDS = 15
STARTED_FLAG_TTL = int(timedelta(days=1).total_seconds())


def _due_text(notice: notices.Notice) -> str:
    goal = quote(notice.goal)
    if notice.ended_early:
        return texts.ENDED_IN_BROWSER.format(goal=goal)
    if notice.late(utcnow()):  # the worker was down, or Redis lost the job
        end = local_time(notice.planned_end, notice.timezone)
        return texts.TIMES_UP_LATE.format(goal=goal, end=end)
    return texts.TIMES_UP.format(goal=goal)


async def session_due(ctx: dict[str, Any], session_id: int) -> str:
    """The declared time is over, or the session was ended from the browser: offer its review."""
    resources: Resources = ctx["resources"]
    notice = await _offer_review(ctx, session_id, DUE, _due_text)
    if notice is None:
        return "nothing owed"
    await events_bus.publish(resources.redis, notice.user_id, events_bus.SESSION)
    await queue_review_reminder(resources.redis, session_id, utcnow() + notices.REMINDER_AFTER)
    return "sent"


async def review_reminder(ctx: dict[str, Any], session_id: int) -> str:
    """The one nudge for a session still waiting for its review."""
    notice = await _offer_review(
        ctx, session_id, REMINDER, lambda notice: texts.REMINDER.format(goal=quote(notice.goal))
    )
    return "nothing owed" if notice is None else "sent"


async def notify_session_started(ctx: dict[str, Any], session_id: int) -> str:
    """A session started from the browser: say so in the chat, and schedule its end."""
    resources: Resources = ctx["resources"]
    async with transaction(resources.sessionmaker) as db:
        notice = await notices.running(db, session_id)
    if notice is None:
        return "not running"
    await queue_session_due(resources.redis, session_id, notice.planned_end)
    flag = f"qtime:notice:started:{session_id}"
    try:
        if not await resources.redis.set(flag, 1, nx=True, ex=STARTED_FLAG_TTL):
            return "already sent"
    except (RedisError, OSError) as exc:
        raise Retry(defer=RETRY_SECONDS) from exc
    text = texts.STARTED_FROM_BROWSER.format(
        goal=quote(notice.goal), end=local_time(notice.planned_end, notice.timezone)
    )
    notifier = Notifier(ctx["bot"], resources.sessionmaker)
    try:
        await notifier.send_text(notice.chat_id, text)
    except PASSING as exc:
        await resources.redis.delete(flag)
        raise retry_send(ctx, exc, RETRY_SECONDS) from exc
    return "sent"


class Kind(NamedTuple):
    """How one kind of session message is found owed, claimed, and released on failure."""

    owed: notices.Owed
    claim: Callable[[AsyncSession, int], Awaitable[notices.Notice | None]]
    release: Callable[[AsyncSession, int], Awaitable[None]]


DUE = Kind(notices.due_owed, notices.claim_times_up, notices.release_times_up)
REMINDER = Kind(notices.reminder_owed, notices.claim_reminder, notices.release_reminder)


async def _offer_review(
    ctx: dict[str, Any], session_id: int, kind: Kind, text: Callable[[notices.Notice], str]
) -> notices.Notice | None:
    """Wait for the chat's send slot, claim the message, then send `text(notice)` with a
    Review now button; None when none is owed.

    On a passing failure (Redis too: the send limiter is away) the claim is released and
    the job retries.
    """
    resources: Resources = ctx["resources"]
    async with create_reader_sessionmaker(resources.engine)() as db:
        chat_id = await notices.owed_chat(db, session_id, kind.owed)
    if chat_id is None:
        return None
    notifier = Notifier(ctx["bot"], resources.sessionmaker)
    notice = None
    try:
        async with send_slot(ctx, chat_id):
            async with transaction(resources.sessionmaker) as db:
                notice = await kind.claim(db, session_id)
            if notice is not None:
                await notifier.send_text(
                    notice.chat_id, text(notice), reply_markup=keyboards.review_now(session_id)
                )
    except (*PASSING, RedisError, OSError) as exc:
        if notice is not None:
            async with transaction(resources.sessionmaker) as db:
                await kind.release(db, session_id)
        log.info("send failed, will retry", extra={"session_id": session_id})
        raise retry_send(ctx, exc, RETRY_SECONDS) from exc
    return notice


async def reconcile_sessions(ctx: dict[str, Any]) -> int:
    """The sweep: queue again each "time's up" and reminder that is owed but was not sent.

    Covers a lost enqueue (Redis down at /focus), a job lost with its worker, and deferred
    jobs arq let expire. Job ids are deterministic, so a job still queued is not doubled.
    """
    resources: Resources = ctx["resources"]
    async with transaction(resources.sessionmaker) as db:
        due = [session.id for session in await notices.owing_due(db)]
        reminders = await notices.owing_reminder(db)
    queued = 0
    for name, ids, job_id in (
        (SESSION_DUE, due, due_job_id),
        (REVIEW_REMINDER, reminders, reminder_job_id),
    ):
        for session_id in ids:
            if not await requeue(resources.redis, name, session_id, job_id=job_id(session_id)):
                return queued  # Redis is down: the next sweep tries again
            queued += 1
    if queued:
        log.info("re-enqueued session messages", extra={"count": queued})
    return queued


FUNCTIONS = [
    func(session_due, name=SESSION_DUE),
    func(review_reminder, name=REVIEW_REMINDER),
    func(notify_session_started, name=SESSION_STARTED),
]
