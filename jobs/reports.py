"""Weekly reports: a cron tick claims the reports that fell due; a job sends each one once.

The tick runs every `TICK_MINUTES` (arq runs each tick on one worker only). It claims at
most what the send budget can deliver by the tick after next, most overdue first, and
spreads their jobs over that time (`defer`), so the queue and the database see a steady
trickle however many users share a report hour. Reports it could not take wait for the
next tick. Claims whose job never finished are queued again after `STALE_CLAIM`: a job
id still queued makes that a no-op, and a finished report makes the job one.

Delivery follows `core.report.delivery`: each message is claimed in the database before
it is sent and recorded right after, so a re-run resumes with the next message and a
message whose fate is unknown is never sent again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
)
from aiohttp import ClientConnectorError
from arq import Retry
from arq.worker import func
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from bot.notify import Notifier
from bot.report_messages import ReportMessage, report_messages
from bot.send_limit import PER_SECOND
from core.db.base import utcnow
from core.db.engine import SessionMaker, create_reader_sessionmaker, transaction
from core.infra.queue import SEND_WEEKLY_REPORT, queue_weekly_report
from core.infra.resources import Resources
from core.report import delivery as report_delivery
from core.report.content import build_report
from core.report.delivery import Delivery
from jobs.retry import PASSING, retry_send
from jobs.sending import send_slot

log = logging.getLogger(__name__)

TICK_MINUTES = 5
TICK_CLAIMS = int(2 * TICK_MINUTES * 60 * PER_SECOND)
# Jobs are due a little faster than the budget sends, so a busy moment never leaves a send
# slot unused: the few jobs ahead of it wait in the limiter.
QUEUE_LEAD = 1.25
STALE_CLAIM = timedelta(minutes=15)
RETRY_SECONDS = 10.0  # times the try number, after a failure that surely sent nothing
RECORD_ATTEMPTS = 3
JOB_TIMEOUT = 40  # a few messages, each waiting a second at most for its slot


async def weekly_report_tick(ctx: dict[str, Any], *, now: datetime | None = None) -> int:
    """Claim the reports due at `now` and queue their jobs; returns how many were claimed."""
    now = now or utcnow()
    resources: Resources = ctx["resources"]
    async with transaction(resources.sessionmaker) as db:
        claimed = await report_delivery.claim_due_reports(db, now=now, limit=TICK_CLAIMS)
        stale = await report_delivery.unfinished(
            db, now=now, older_than=STALE_CLAIM, limit=TICK_CLAIMS
        )
    started = utcnow()
    for index, (user_id, week) in enumerate(claimed):
        at = started + timedelta(seconds=index / (PER_SECOND * QUEUE_LEAD))
        await queue_weekly_report(resources.redis, user_id, week, at)
    for user_id, week in stale:
        await queue_weekly_report(resources.redis, user_id, week)
    if claimed or stale:
        log.info("weekly reports queued", extra={"claimed": len(claimed), "requeued": len(stale)})
    return len(claimed)


async def send_weekly_report(ctx: dict[str, Any], user_id: int, iso_week: str) -> str:
    resources: Resources = ctx["resources"]
    try:
        async with create_reader_sessionmaker(resources.engine)() as db:
            delivery = await report_delivery.open_delivery(db, user_id, iso_week)
            report = None
            if delivery is not None and delivery.stop is None:
                report = await build_report(db, user_id, delivery.week)
        if delivery is None:
            return "nothing to do"
        if report is None:
            return await _give_up(resources.sessionmaker, delivery, delivery.stop or "stopped")
        sends = report_messages(report, delivery.chat_id)
        notifier = Notifier(ctx["bot"], resources.sessionmaker)
        for index in range(delivery.sent_parts, len(sends)):
            last = index == len(sends) - 1
            outcome = await _send(ctx, notifier, delivery, sends[index], last=last)
            if outcome != "sent":
                return outcome
    except OperationalError:  # the database is busy or away: nothing was sent unrecorded
        raise Retry(defer=RETRY_SECONDS * ctx.get("job_try", 1)) from None
    return "sent"


async def _send(
    ctx: dict[str, Any],
    notifier: Notifier,
    delivery: Delivery,
    method: ReportMessage,
    *,
    last: bool,
) -> str:
    """Wait for the chat's send slot, then claim, send and record one message of the report.

    The claim follows the wait, so a worker killed while it waits leaves the report owed,
    not "maybe sent"; only the moment between the claim and the request is uncertain.
    """
    sessionmaker = ctx["resources"].sessionmaker
    claimed = False
    try:
        async with send_slot(ctx, delivery.chat_id):
            async with transaction(sessionmaker) as db:
                claimed = await report_delivery.claim_part(db, delivery.report_id)
            if not claimed:
                return "held by another run"
            message = await notifier.deliver(delivery.chat_id, method)
    except (*PASSING, RedisError, OSError) as exc:
        if claimed and not _surely_unsent(exc):
            return await _give_up(sessionmaker, delivery, "outcome unknown")
        if claimed:
            async with transaction(sessionmaker) as db:
                await report_delivery.release_part(db, delivery.report_id)
        raise retry_send(ctx, exc, RETRY_SECONDS) from None
    except TelegramAPIError as exc:
        log.error(
            "weekly report refused", extra={"user_id": delivery.user_id, "error": exc.message}
        )
        return await _give_up(sessionmaker, delivery, "undeliverable")
    if message is None:
        return await _give_up(sessionmaker, delivery, "blocked")
    await _record(sessionmaker, delivery, message.message_id, last=last)
    return "sent"


async def _record(
    sessionmaker: SessionMaker, delivery: Delivery, message_id: int, *, last: bool
) -> None:
    for attempt in range(1, RECORD_ATTEMPTS + 1):  # it went out: losing the record costs more
        try:
            async with transaction(sessionmaker) as db:
                await report_delivery.record_part(db, delivery.report_id, message_id, last=last)
            return
        except OperationalError:
            if attempt == RECORD_ATTEMPTS:
                raise
            await asyncio.sleep(attempt)


def _surely_unsent(exc: Exception) -> bool:
    """Refused before or without processing: flood control, a 5xx, no connection, no Redis.

    A timeout is not: Telegram may have sent the message before the answer got lost.
    """
    if isinstance(exc, TelegramNetworkError):
        return isinstance(exc.__cause__, ClientConnectorError)
    return True


async def _give_up(sessionmaker: SessionMaker, delivery: Delivery, outcome: str) -> str:
    async with transaction(sessionmaker) as db:
        await report_delivery.fail(db, delivery.report_id)
    return outcome


SEND = func(
    send_weekly_report, name=SEND_WEEKLY_REPORT, timeout=JOB_TIMEOUT, keep_result=0, max_tries=10
)
