"""The SSE stream: the current session on connect, then changes published by any process."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from core.accounts.devices import revoke_device
from core.db.engine import SessionMaker, transaction
from core.infra import events_bus
from core.sessions.lifecycle import start_session
from core.settings import Settings
from tests.api.conftest import Linked
from tests.api.live import live_api


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, Any]]:
    """(event, data) pairs from a text/event-stream; comments (keep-alives) skipped."""
    name, data = "message", ""
    async for line in lines:
        if line == "":
            if data:
                yield name, json.loads(data)
            name, data = "message", ""
        elif line.startswith("event:"):
            name = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data += line.removeprefix("data:").strip()


@asynccontextmanager
async def streaming(
    settings: Settings, who: Linked
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.Response]]:
    """A live API, a client, and `who`'s open stream."""
    async with (
        live_api(settings) as url,
        httpx.AsyncClient(base_url=url) as client,
        client.stream("GET", "/v1/stream", headers=who.auth) as stream,
    ):
        yield client, stream


async def test_stream_tells_session_changes_and_analyses(
    api_settings: Settings, linker: Any, sessionmaker: SessionMaker, redis: Any
) -> None:
    ann: Linked = await linker()
    async with streaming(api_settings, ann) as (client, stream):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = sse_events(stream.aiter_lines())
        name, data = await anext(events)
        assert (name, data["active"]) == ("session", False)

        async with transaction(sessionmaker) as db:  # as the bot's /focus does
            session = await start_session(db, ann.user_id, minutes=25, goal="tests")
        await events_bus.publish(redis, ann.user_id, events_bus.SESSION)
        name, data = await anext(events)
        assert (name, data["active"], data["id"]) == ("session", True, session.id)

        await events_bus.publish(redis, ann.user_id + 1, events_bus.ANALYSIS, {"review_id": 1})
        await events_bus.publish(redis, ann.user_id, events_bus.ANALYSIS, {"review_id": 7})
        assert await anext(events) == ("analysis", {"review_id": 7})

        ended = await client.post("/v1/session/end", headers=ann.auth)
        assert ended.status_code == 200
        name, data = await anext(events)
        assert (name, data["active"]) == ("session", False)


async def test_stream_sends_the_state_without_redis(
    no_redis_settings: Settings, linker: Any
) -> None:
    ann: Linked = await linker()
    async with streaming(no_redis_settings, ann) as (_, stream):
        name, data = await anext(sse_events(stream.aiter_lines()))
    assert (name, data["active"]) == ("session", False)


async def test_a_revoked_device_stream_ends(
    api_settings: Settings, linker: Any, redis: Any
) -> None:
    ann: Linked = await linker()
    async with live_api(api_settings) as url, httpx.AsyncClient(base_url=url) as client:
        async with client.stream("GET", "/v1/stream", headers=ann.auth) as stream:
            events = sse_events(stream.aiter_lines())
            assert (await anext(events))[0] == "session"
            # another browser of hers unlinked: this stream goes on
            other = {"device_id": ann.device_id + 1}
            await events_bus.publish(redis, ann.user_id, events_bus.REVOKED, other)
            await events_bus.publish(redis, ann.user_id, events_bus.ANALYSIS, {"review_id": 3})
            assert await anext(events) == ("analysis", {"review_id": 3})

            revoked = await client.delete("/v1/devices/me", headers=ann.auth)
            assert revoked.status_code == 204
            async with asyncio.timeout(5):
                assert [event async for event in events] == []  # the stream ended
        again = await client.get("/v1/stream", headers=ann.auth)
        assert again.status_code == 401


async def test_a_device_revoked_while_redis_is_down_loses_its_stream(
    no_redis_settings: Settings, linker: Any, sessionmaker: SessionMaker
) -> None:
    """Revoking is announced on Redis; with Redis away the stream finds out by itself."""
    ann: Linked = await linker()
    async with streaming(no_redis_settings, ann) as (_, stream):
        events = sse_events(stream.aiter_lines())
        assert (await anext(events))[0] == "session"
        async with transaction(sessionmaker) as db:  # as the bot's /devices does
            await revoke_device(db, ann.user_id, ann.device_id)
        async with asyncio.timeout(10):
            assert [event async for event in events] == []  # the stream ended
