"""The bot as it runs for real (`qtime bot` polling, or webhook inside the API) against the
fake Bot API over HTTP, with real Redis, a real database and arq burst workers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from arq.worker import Worker
from redis.asyncio import Redis
from sqlalchemy import select, update

from core.db import SessionMaker, create_engine, create_sessionmaker, transaction
from core.models import ActivityEvent, FocusSession, User, utcnow
from core.settings import Settings
from jobs.worker import build_worker
from qtime.run import run_bot
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeMessage, FakeUser


@pytest.fixture
def bot_settings(
    make_settings: Callable[..., Settings],
    sqlite_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> Settings:
    return make_settings(database={"url": sqlite_url}, telegram={"api_url": fake_telegram.url})


@pytest.fixture
async def db_of(bot_settings: Settings) -> AsyncIterator[SessionMaker]:
    engine = create_engine(bot_settings.database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


class PollingBot:
    """`qtime bot`: started, stopped and started again like the real process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(run_bot(self.settings, self._stop))

    async def stop(self) -> None:
        if self._stop is not None and self._task is not None:
            self._stop.set()
            await self._task
            self._task = None


@pytest.fixture
async def polling_bot(
    bot_settings: Settings, fake_telegram: FakeTelegram
) -> AsyncIterator[PollingBot]:
    bot = PollingBot(bot_settings)
    await bot.start()
    await fake_telegram.wait_for_call("getMe")  # polling begins with it
    yield bot
    await bot.stop()


class Chat:
    """One Telegram user talking to the bot through the fake."""

    def __init__(self, fake: FakeTelegram, user: FakeUser) -> None:
        self.fake = fake
        self.user = user

    async def say(self, text: str, expect: str) -> FakeMessage:
        """Send `text`; the bot's newest message containing `expect` after it."""
        since = self.fake.seq
        self.fake.send_message(self.user, text)
        return await self.fake.wait_for_text(self.user, expect, since=since)

    async def press(
        self, message: FakeMessage, button: str, expect: str | None = None
    ) -> FakeMessage | None:
        """Press a button; wait until it is answered (and for `expect` to show)."""
        since = self.fake.seq
        query = self.fake.click(self.user, message, text=button)
        await self.fake.wait_until(lambda: query.answered, what="the button's answer")
        if expect is None:
            return None
        return await self.fake.wait_for_text(self.user, expect, since=since)

    async def press_data(self, message: FakeMessage, data: str) -> str | None:
        """Deliver `data` as if the client still showed an old keyboard; the answer text."""
        query = self.fake.click(self.user, message, data=data, force=True)
        await self.fake.wait_until(lambda: query.answered, what="the button's answer")
        return query.answer.get("text")

    @property
    def last(self) -> FakeMessage:
        message = self.fake.last_bot_message(self.user)
        assert message is not None
        return message


@pytest.fixture
def chat_for(fake_telegram: FakeTelegram) -> Callable[[str], Chat]:
    return lambda name: Chat(fake_telegram, fake_telegram.add_user(name))


async def user_of(sessionmaker: SessionMaker, telegram_id: int) -> User:
    async with sessionmaker() as db:
        return (await db.execute(select(User).where(User.telegram_id == telegram_id))).scalar_one()


async def last_session(sessionmaker: SessionMaker, user_id: int) -> FocusSession:
    async with sessionmaker() as db:
        result = await db.execute(
            select(FocusSession)
            .where(FocusSession.user_id == user_id)
            .order_by(FocusSession.id.desc())
        )
        return result.scalars().first()  # type: ignore[return-value]


async def travel_to_end(redis: Redis, sessionmaker: SessionMaker, session_id: int) -> None:
    """Time travel: the session started its declared length ago, its deferred job is due."""
    async with transaction(sessionmaker) as db:
        session = await db.get(FocusSession, session_id)
        assert session is not None
        shift = session.planned_end - utcnow() + timedelta(seconds=1)
        await db.execute(
            update(FocusSession)
            .where(FocusSession.id == session_id)
            .values(started_at=session.started_at - shift, planned_end=session.planned_end - shift)
        )
    due_now = int(utcnow().timestamp() * 1000)
    moved = await redis.zadd("arq:queue", {f"due:{session_id}": due_now}, xx=True, ch=True)
    assert moved == 1, "the session's deferred job was not queued"


async def add_events(
    sessionmaker: SessionMaker, session: FocusSession, minutes_by_host: dict[str, float]
) -> None:
    """Browser activity inside the session, one event per host, back to back."""
    import uuid

    start: datetime = session.started_at
    async with transaction(sessionmaker) as db:
        for host, minutes in minutes_by_host.items():
            end = start + timedelta(minutes=minutes)
            db.add(
                ActivityEvent(
                    id=uuid.uuid4(),
                    user_id=session.user_id,
                    session_id=session.id,
                    host=host,
                    started_at=start,
                    ended_at=end,
                )
            )
            start = end


async def run_jobs(settings: Settings, redis: Redis) -> Worker:
    """Run the jobs due now with a burst worker, crons left out (deferred ones stay queued)."""
    due = await redis.zcount("arq:queue", "-inf", int(utcnow().timestamp() * 1000))
    worker = build_worker(settings, burst=True, poll_delay=0, cron_jobs=[], max_burst_jobs=due)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


@contextlib.contextmanager
def no_errors(fake: FakeTelegram, *allowed: str) -> Any:
    """The bot made no failing Bot API call inside the block, but for `allowed` descriptions."""
    before = len(fake.errors)
    yield
    failed = [
        c for c in fake.errors[before:] if not any(a in (c.description or "") for a in allowed)
    ]
    assert failed == [], [(c.method, c.description) for c in failed]
