"""The bot as it runs for real (`qtime bot` polling, or webhook inside the API) against the
fake Bot API over HTTP, with real Redis, a real database and arq burst workers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
import uvicorn
from arq.worker import Worker
from redis.asyncio import Redis
from sqlalchemy import select, update

from core.db.base import utcnow
from core.db.engine import SessionMaker, create_engine, create_sessionmaker, transaction
from core.db.models import FocusSession, User
from core.settings import Settings
from jobs.worker import build_worker
from qtime.run import run_bot
from tests import factories as factory
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeMessage, FakeUser
from tracker_api.app import create_app


@pytest.fixture
def bot_database_url(sqlite_url: str) -> str:
    """SQLite; a test module overrides it with `database_url` to run on PostgreSQL too."""
    return sqlite_url


@pytest.fixture
def bot_settings(
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> Settings:
    return make_settings(
        database={"url": bot_database_url}, telegram={"api_url": fake_telegram.url}
    )


@pytest.fixture
async def db_of(bot_database_url: str) -> AsyncIterator[SessionMaker]:
    """The test's own sessions on the database the bot uses."""
    engine = create_engine(bot_database_url)
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
    await fake_telegram.wait_for_call("setMyCommands")  # then it polls
    yield bot
    await bot.stop()


WEBHOOK_SECRET = "test-webhook-secret_0123"


class WebhookApi:
    """`qtime api` in webhook mode on a loopback port: Telegram (the fake) pushes to it."""

    def __init__(
        self,
        make_settings: Callable[..., Settings],
        database_url: str,
        telegram_url: str,
        **overrides: Any,
    ) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.settings = make_settings(
            database={"url": database_url},
            telegram={"api_url": telegram_url, "mode": "webhook", "webhook_secret": WEBHOOK_SECRET},
            api={"public_url": self.url},
            **overrides,
        )
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        config = uvicorn.Config(create_app(self.settings), log_config=None, lifespan="on")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self.sock.close()


@pytest.fixture
async def webhook_api(
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> AsyncIterator[WebhookApi]:
    api = WebhookApi(make_settings, bot_database_url, fake_telegram.url)
    await api.start()
    yield api
    await api.stop()


class Chat:
    """One Telegram user talking to the bot through the fake; `timeout` is how long a user
    waits for each answer."""

    timeout = 5.0

    def __init__(self, fake: FakeTelegram, user: FakeUser) -> None:
        self.fake = fake
        self.user = user

    async def say(self, text: str, expect: str) -> FakeMessage:
        """Send `text`; the bot's newest message containing `expect` after it."""
        since = self.fake.seq
        self.fake.send_message(self.user, text)
        return await self.fake.wait_for_text(self.user, expect, self.timeout, since=since)

    async def press(
        self, message: FakeMessage, button: str, expect: str | None = None
    ) -> FakeMessage:
        """Press a button and wait for its answer; the bot's message with `expect` after it
        (the pressed message when `expect` is None)."""
        since = self.fake.seq
        query = self.fake.click(self.user, message, text=button)
        await self.fake.wait_until(lambda: query.answered, self.timeout, "the button's answer")
        if expect is None:
            return message
        return await self.fake.wait_for_text(self.user, expect, self.timeout, since=since)

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


async def last_session(sessionmaker: SessionMaker, telegram_id: int) -> FocusSession:
    """The Telegram user's latest focus session."""
    async with sessionmaker() as db:
        result = await db.execute(
            select(FocusSession)
            .join(User, User.id == FocusSession.user_id)
            .where(User.telegram_id == telegram_id)
            .order_by(FocusSession.id.desc())
            .limit(1)
        )
        return result.scalar_one()


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
    pieces: list[tuple[str, float, dict[str, Any]]] = [
        (host, minutes, {}) for host, minutes in minutes_by_host.items()
    ]
    async with transaction(sessionmaker) as db:
        db.add_all(
            factory.events(
                session.user_id, session.id, session.started_at, factory.back_to_back(pieces)
            )
        )


async def queued(redis: Redis, pattern: str) -> None:
    """Wait until a job matching `pattern` (`arq:job:analyze:*`) is queued: a handler may
    queue it just after its answer reached the chat."""
    async with asyncio.timeout(5):
        while not await redis.keys(pattern):
            await asyncio.sleep(0.01)


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


async def times_up(
    chat: Chat, sessionmaker: SessionMaker, redis: Redis, settings: Settings, goal: str
) -> FakeMessage:
    """/focus, then time travel to its end: the "time's up" message with Review now."""
    await chat.say(f"/focus 25 {goal}", "Focus on")
    session = await last_session(sessionmaker, chat.user.id)
    await travel_to_end(redis, sessionmaker, session.id)
    await run_jobs(settings, redis)
    return await chat.fake.wait_for_text(chat.user, f"Time's up: {goal}")


async def fill_form(
    chat: Chat, message: FakeMessage, quality: str = "3", *, opened: bool = False
) -> FakeMessage:
    """To the summary with the quickest answers: from "Review now", or from the goal step
    when the form is `opened` and its first step answered."""
    if not opened:
        await chat.press(message, "Review now", "Anything else you did?")
        await chat.press(message, "Skip", "Did you achieve your goal?")
    await chat.press(message, "Yes", "How good was your focus?")
    await chat.press(message, quality, "How distracted were you?")
    await chat.press(message, "2", "What helped you focus?")
    await chat.press(message, "Done ✓", "Anything to note")
    return await chat.press(message, "Skip", "check and submit")
