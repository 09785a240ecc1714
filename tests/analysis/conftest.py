"""The analysis path as the user meets it: a submitted review, Redis, a worker, the chat.

`Harness.submit()` does what the bot's Submit does: the "Analysing…" message is in the
chat, the review and its pending analysis are committed, the job is enqueued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from arq.worker import Worker
from redis.asyncio import Redis
from sqlalchemy import select

from core.db.base import utcnow
from core.db.engine import transaction
from core.db.models import Analysis, FocusSession, Review, SessionStatus, User
from core.infra.queue import queue_analysis
from core.infra.resources import Resources
from core.settings import Settings
from jobs.worker import build_worker
from tests import factories as factory
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeMessage, FakeUser

ANALYSING = "🧠 Analysing your session…"
Event = factory.Span


@dataclass
class Submission:
    review_id: int
    session_id: int
    user_id: int
    message: FakeMessage


@dataclass
class Harness:
    fake: FakeTelegram
    settings: Settings
    resources: Resources
    workers: list[Worker] = field(default_factory=list)
    # One bot for every "Analysing…" message: closing an aiogram session sleeps 250 ms.
    _bot: Bot | None = field(default=None, init=False)

    def person(self, name: str = "Alice") -> FakeUser:
        return self.fake.add_user(name)

    async def submit(
        self,
        person: FakeUser | None = None,
        *,
        events: Sequence[Event] = (("github.com", 0, 40), ("youtube.com", 40, 55)),
        minutes: int = 60,
        goal: str = "write chapter 2",
        goal_result: str = "partly",
        quality: int = 3,
        distraction: int = 2,
        note: str | None = None,
        track_titles: bool = False,
        queue: bool = True,
    ) -> Submission:
        person = person or self.person()
        if self._bot is None:
            self._bot = self.fake.make_bot()
        sent = await self._bot.send_message(person.id, ANALYSING)
        start = utcnow() - timedelta(minutes=minutes + 5)
        async with transaction(self.resources.sessionmaker) as db:
            user = User(telegram_id=person.id, chat_id=person.id, track_titles=track_titles)
            db.add(user)
            await db.flush()
            session = FocusSession(
                user_id=user.id,
                goal=goal,
                started_at=start,
                planned_end=start + timedelta(minutes=minutes),
                ended_at=start + timedelta(minutes=minutes),
                status=SessionStatus.reviewed,
            )
            db.add(session)
            await db.flush()
            db.add_all(factory.events(user.id, session.id, start, events))
            review = Review(
                session_id=session.id, user_id=user.id, goal_result=goal_result,
                self_quality=quality, self_distraction=distraction, note=note,
                solutions=["phone_away"],
            )  # fmt: skip
            db.add(review)
            await db.flush()
            db.add(Analysis(review_id=review.id, user_id=user.id, chat_id=person.id,
                            message_id=sent.message_id))  # fmt: skip
        if queue:
            assert await self.enqueue(review.id)
        message = self.fake.find_message(self.fake.chat(person), sent.message_id)
        assert message is not None
        return Submission(review.id, session.id, user.id, message)

    async def enqueue(self, review_id: int) -> bool:
        return await queue_analysis(self.resources.redis, review_id)

    async def run_worker(self, **overrides: Any) -> Worker:
        """An in-process burst worker that returns when the queue is empty."""
        worker = build_worker(self.settings, burst=True, poll_delay=0, **overrides)
        self.workers.append(worker)
        await worker.main()
        return worker

    async def analysis(self, review_id: int) -> Analysis:
        async with self.resources.sessionmaker() as db:
            found = await db.scalar(select(Analysis).where(Analysis.review_id == review_id))
            assert found is not None
            return found

    def bot_messages(self, submission: Submission) -> list[FakeMessage]:
        return self.fake.bot_messages(submission.message.chat)

    async def close(self) -> None:
        for worker in self.workers:
            await worker.close()
        if self._bot is not None:
            await self._bot.session.close()
        await self.resources.close()


MakeHarness = Callable[..., Awaitable[Harness]]


@pytest.fixture
async def make_harness(
    make_settings: Callable[..., Settings], fake_telegram: FakeTelegram, redis: Redis
) -> AsyncIterator[MakeHarness]:
    """`await make_harness(database_url, ai={...})`: settings, clients and workers, closed after."""
    made: list[Harness] = []

    async def make(database_url: str, **overrides: Any) -> Harness:
        settings = make_settings(
            database={"url": database_url}, telegram={"api_url": fake_telegram.url}, **overrides
        )
        harness = Harness(fake_telegram, settings, Resources.open(settings))
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.close()


@pytest.fixture
async def harness(make_harness: MakeHarness, database_url: str) -> Harness:
    """The local analyser, on SQLite and on PostgreSQL."""
    return await make_harness(database_url)
