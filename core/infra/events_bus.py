"""Live updates for a user's open extension views, over Redis pub/sub.

Any process publishes; every API instance relays to the SSE streams it holds. A
message is a hint, never the source of truth: for `session` the stream reloads the
state from the database, so publishers need not build the payload. Publishing is
best effort: with Redis down the extension still learns the state by polling.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SESSION = "session"  # a session started, ended or was dropped; data optional
ANALYSIS = "analysis"  # an analysis is ready; data {"review_id": int}
REVOKED = "revoked"  # a device token died; data {"device_id": int}, or {} for all the user's


def channel(user_id: int) -> str:
    return f"qtime:user:{user_id}"


@dataclass(frozen=True)
class BusMessage:
    event: str
    data: dict[str, Any]


async def publish(
    redis: Redis, user_id: int, event: str, data: Mapping[str, Any] | None = None
) -> bool:
    """Tell the user's open streams; False when Redis is unreachable."""
    payload = json.dumps({"event": event, "data": dict(data or {})})
    try:
        await redis.publish(channel(user_id), payload)
    except (RedisError, OSError) as exc:
        log.warning("could not publish", extra={"bus_event": event, "error": type(exc).__name__})
        return False
    return True


async def announce_revoked(redis: Redis, user_id: int, device_id: int | None = None) -> bool:
    """Tell the user's open streams a device token died (every device's when None)."""
    data = {} if device_id is None else {"device_id": device_id}
    return await publish(redis, user_id, REVOKED, data)


def revokes(message: BusMessage, device_id: int) -> bool:
    """Whether `message` ends the stream of `device_id`."""
    return message.event == REVOKED and message.data.get("device_id") in (None, device_id)


@asynccontextmanager
async def subscription(redis: Redis, user_id: int) -> AsyncIterator[AsyncIterator[BusMessage]]:
    """Subscribed on entry, so nothing published afterwards is missed; the iterator raises
    RedisError if Redis drops."""
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    try:
        await pubsub.subscribe(channel(user_id))
        yield _messages(pubsub)
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated


async def _messages(pubsub: PubSub) -> AsyncIterator[BusMessage]:
    async for raw in pubsub.listen():
        message = _decode(raw.get("data"))
        if message is not None:
            yield message


def _decode(raw: object) -> BusMessage | None:
    try:
        body = json.loads(raw) if isinstance(raw, str | bytes) else None
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        return None
    data = body.get("data")
    return BusMessage(body["event"], data if isinstance(data, dict) else {})
