"""Server-sent events for an open popup or options page: session changes and ready analyses.

Fed by the user's Redis channel (core.infra.events_bus), so a change made by the bot, the
worker or another API instance reaches every stream. The first event is the current
session; FastAPI adds a keep-alive comment every 15 s. If Redis drops, the stream
re-subscribes and re-sends the session, since changes may have been missed meanwhile.
A revoked device's stream ends at once: revoking is announced on Redis. While Redis is
away the announcement is lost, so the stream looks the device up itself at each attempt
to re-subscribe, and once more when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.accounts.devices import device_live
from core.infra import events_bus
from core.infra.ratelimit import HoldLimiter
from core.sessions.view import session_view
from tracker_api.context import STREAM_LEASE, ApiContext
from tracker_api.deps import CallerDep, ContextDep
from tracker_api.errors import TOO_MANY_STREAMS, responses
from tracker_api.schemas import AnalysisReady

router = APIRouter(prefix="/v1", tags=["session"])
log = logging.getLogger(__name__)

RESUBSCRIBE_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
RETRY_MS = 3000  # how soon the browser's EventSource reconnects
RELOAD = events_bus.BusMessage(events_bus.SESSION, {})
RECHECK = events_bus.BusMessage("recheck", {})  # Redis is still away: is the device live?


async def _bus(redis: Redis, user_id: int) -> AsyncIterator[events_bus.BusMessage]:
    """The user's messages, riding out Redis outages. Each (re)subscription first yields a
    session hint, so the state is sent after the point from which no change is missed."""
    failures = 0
    while True:
        try:
            async with events_bus.subscription(redis, user_id) as messages:
                failures = 0
                yield RELOAD
                async for message in messages:
                    yield message
        except (RedisError, OSError) as exc:
            # the state now, even if live changes must wait for Redis
            yield RELOAD if failures == 0 else RECHECK
            delay = RESUBSCRIBE_DELAYS[min(failures, len(RESUBSCRIBE_DELAYS) - 1)]
            log.info("stream lost Redis", extra={"error": type(exc).__name__, "retry_in": delay})
            failures += 1
            await asyncio.sleep(delay)


async def _renew_while_open(limiter: HoldLimiter, key: str, holder: str) -> None:
    while True:
        await asyncio.sleep(STREAM_LEASE.total_seconds() / 3)
        await limiter.renew(key, holder)


async def stream_slot(caller: CallerDep, context: ContextDep) -> AsyncIterator[None]:
    """One of the device's few open streams, held until the response has ended (FastAPI
    ends a dependency with yield after its streaming response)."""
    limiter, key, holder = context.limits.streams, str(caller.device_id), uuid.uuid4().hex
    if not await limiter.acquire(key, holder):
        raise HTTPException(429, TOO_MANY_STREAMS)
    renewing = asyncio.create_task(_renew_while_open(limiter, key, holder))
    try:
        yield
    finally:
        renewing.cancel()
        with anyio.CancelScope(shield=True):  # the request is being cancelled: still let go
            await limiter.release(key, holder)


async def _device_live(context: ApiContext, device_id: int) -> bool:
    async with context.reader() as db:
        return await device_live(db, device_id)


async def _session_event(context: ApiContext, user_id: int) -> ServerSentEvent:
    async with context.reader() as db:
        view = await session_view(db, user_id)
    return ServerSentEvent(event="session", data=view, retry=RETRY_MS)


@router.get("/stream", response_class=EventSourceResponse, responses=responses(401, 429))
async def stream(
    caller: CallerDep, context: ContextDep, _slot: Annotated[None, Depends(stream_slot)]
) -> AsyncIterator[ServerSentEvent]:
    """`session` (data: the same object as GET /v1/session) on connect and on every change;
    `analysis` (data: `{"review_id": int}`) when a review's analysis is ready. The stream
    ends when its device is revoked. A device holds a few streams at once; more get 429."""
    async for message in _bus(context.resources.redis, caller.user_id):
        if message in (RELOAD, RECHECK) and not await _device_live(context, caller.device_id):
            return  # revoked while a revocation could not reach us
        if message.event == events_bus.SESSION:
            yield await _session_event(context, caller.user_id)
        elif message.event == events_bus.ANALYSIS:
            try:
                ready = AnalysisReady.model_validate(message.data)
            except ValidationError:
                continue
            yield ServerSentEvent(event="analysis", data=ready.model_dump())
        elif events_bus.revokes(message, caller.device_id):
            return  # the token is dead: the browser's reconnect is told 401
