"""Prometheus counters of the API, served at /metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.updates.inbox import Inbox, bot_id_of
from core.ingest.batch import IngestResult
from core.settings import Settings

REQUESTS = Counter("qtime_api_requests", "HTTP requests answered", ["method", "route", "status"])
EVENTS_ACCEPTED = Counter("qtime_events_accepted", "Activity events stored")
EVENTS_DUPLICATES = Counter("qtime_events_duplicates", "Activity events already stored")
EVENTS_REJECTED = Counter("qtime_events_rejected", "Activity events refused as invalid")
EVENTS_DROPPED = Counter(
    "qtime_events_dropped", "Valid activity events outside every session or excluded"
)

INBOX_WAITING = Gauge("qtime_telegram_inbox_depth", "Telegram updates stored, not yet handled")
INBOX_PARKED = Gauge("qtime_telegram_inbox_parked", "Telegram updates whose handler kept failing")
INBOX_REFRESH_SECONDS = 5.0


def count_ingest(result: IngestResult) -> None:
    for counter, amount in (
        (EVENTS_ACCEPTED, result.accepted),
        (EVENTS_DUPLICATES, result.duplicates),
        (EVENTS_REJECTED, len(result.rejected)),
        (EVENTS_DROPPED, result.dropped),
    ):
        if amount:  # each inc takes a lock; most batches have nothing but accepted
            counter.inc(amount)


class RequestMetrics:
    """Counts every HTTP response by route template (never the raw path: ids would explode
    the label set) and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route: BaseRoute | None = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], template, str(status)).inc()


@contextlib.asynccontextmanager
async def watch_inbox(settings: Settings, redis: Redis) -> AsyncIterator[None]:
    """Keep the Telegram inbox gauges fresh (every few seconds) while the block runs."""
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    if not token.partition(":")[0].isdigit():  # no bot, no inbox (the bot checks the token)
        yield
        return
    inbox = Inbox(redis, bot_id_of(token))

    async def refresh() -> None:
        with contextlib.suppress(RedisError, OSError):  # /readyz reports Redis
            waiting, parked = await inbox.depth()
            INBOX_WAITING.set(waiting)
            INBOX_PARKED.set(parked)

    async def keep_fresh() -> None:
        while True:
            await asyncio.sleep(INBOX_REFRESH_SECONDS)
            await refresh()

    await refresh()
    task = asyncio.create_task(keep_fresh())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
