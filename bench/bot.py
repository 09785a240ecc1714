"""Review-form updates per second through one bot process, with its database writes on SQLite.

    .venv/bin/python -m bench.bot [--users 100] [--rounds 10] [--concurrency 50] [--redis-url URL]

Each user walks the whole form: Review now, typed activities, goal, two grades, two
solution toggles, a typed "other", Done, a typed note and Submit (11 updates; Submit
commits the review and its analysis and queues the job). Updates go through
`Dispatcher.feed_raw_update` of the product's dispatcher (`bot.factory.create_dispatcher`:
Redis FSM, event isolation, de-duplication, a database session per update), with a Bot
whose session answers every call at once instead of reaching Telegram. The baseline is
the same dispatcher with a handler that does nothing, fed the same updates, in the same run.
Targets: ≥ 300 form updates/s and ≥ 0.3× the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message
from arq.connections import ArqRedis

from bot.factory import create_dispatcher
from core.db import create_engine, create_sessionmaker, transaction
from core.migrate import upgrade
from core.models import ActivityEvent, utcnow
from core.sessions import end_session, start_session
from core.users import upsert_telegram_user

TOKEN = "123456789:AAFakeTokenForQualityTimeBenchmarks_01"
FORM_MESSAGE = 7  # the "time's up" message that becomes the form
HOSTS = ("github.com", "docs.python.org", "youtube.com", "news.ycombinator.com")


class AnsweringSession(BaseSession):
    """Answers each Bot API call at once, as Telegram would, and counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1000)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls[method.__api_method__] += 1
        if isinstance(method, SendMessage | EditMessageText):
            chat = Chat(id=int(method.chat_id or 0), type="private")
            message_id = getattr(method, "message_id", None) or next(self._ids)
            return Message(message_id=message_id, date=utcnow(), chat=chat, text=method.text)  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


class Updates:
    """Raw updates as Telegram sends them, with unique update ids."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._messages = itertools.count(100)

    def text(self, user: int, text: str) -> dict[str, Any]:
        return {
            "update_id": next(self._ids),
            "message": {
                "message_id": next(self._messages),
                "date": int(time.time()),
                "chat": {"id": user, "type": "private"},
                "from": {"id": user, "is_bot": False, "first_name": "Bench"},
                "text": text,
            },
        }

    def press(self, user: int, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._ids),
            "callback_query": {
                "id": str(uuid.uuid4()),
                "chat_instance": str(user),
                "from": {"id": user, "is_bot": False, "first_name": "Bench"},
                "data": data,
                "message": {
                    "message_id": FORM_MESSAGE,
                    "date": int(time.time()),
                    "chat": {"id": user, "type": "private"},
                    "from": {"id": 123456789, "is_bot": True, "first_name": "Quality Time"},
                    "text": "Time's up",
                },
            },
        }

    def form(self, user: int, session: int) -> list[dict[str, Any]]:
        step = "rv"
        return [
            self.press(user, f"ro:{session}"),
            self.text(user, "answered two emails"),
            self.press(user, f"{step}:goal:partly"),
            self.press(user, f"{step}:quality:4"),
            self.press(user, f"{step}:distraction:2"),
            self.press(user, f"{step}:toggle:phone_away"),
            self.press(user, f"{step}:toggle:pomodoro"),
            self.text(user, "coffee first"),
            self.press(user, f"{step}:done:"),
            self.text(user, "start earlier"),
            self.press(user, f"{step}:submit:"),
        ]


async def make_sessions(database_url: str, users: int, first_user: int) -> dict[int, int]:
    """Users with a finished session and its browser events; telegram id -> session id."""
    engine = create_engine(database_url)
    sessions: dict[int, int] = {}
    async with transaction(create_sessionmaker(engine)) as db:
        for telegram_id in range(first_user, first_user + users):
            user, _ = await upsert_telegram_user(db, telegram_id=telegram_id, chat_id=telegram_id)
            started = utcnow() - timedelta(minutes=30)
            session = await start_session(db, user.id, minutes=25, goal="bench", now=started)
            await end_session(db, user.id, now=started + timedelta(minutes=24))
            for i, host in enumerate(HOSTS * 3):
                begin = started + timedelta(minutes=2 * i)
                db.add(ActivityEvent(id=uuid.uuid4(), user_id=user.id, session_id=session.id,
                                     host=host, started_at=begin,
                                     ended_at=begin + timedelta(minutes=2)))  # fmt: skip
            sessions[telegram_id] = session.id
    await engine.dispose()
    return sessions


async def feed(
    dispatcher: Dispatcher, bot: Bot, flows: list[list[dict[str, Any]]], concurrency: int
) -> tuple[int, float]:
    """Feed every user's updates in order, `concurrency` users at a time; (updates, seconds)."""
    gate = asyncio.Semaphore(concurrency)

    async def user(flow: list[dict[str, Any]]) -> None:
        async with gate:
            for update in flow:
                await dispatcher.feed_raw_update(bot, update)

    started = time.perf_counter()
    await asyncio.gather(*(user(flow) for flow in flows))
    return sum(len(flow) for flow in flows), time.perf_counter() - started


def noop_router() -> Router:
    router = Router(name="noop")

    @router.message()
    @router.callback_query()
    async def nothing(event: object) -> None:
        return None

    return router


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await upgrade(database_url)
        redis = ArqRedis.from_url(args.redis_url)
        await redis.flushdb()
        engine = create_engine(database_url)
        sessionmaker = create_sessionmaker(engine)
        session = AnsweringSession()
        bot = Bot(TOKEN, session=session)
        updates = Updates()
        try:
            dispatchers = {
                "no-op handler": create_dispatcher(sessionmaker, redis, routers=[noop_router()]),
                "review form": create_dispatcher(sessionmaker, redis),
            }
            flows = {}
            for offset, name in enumerate(dispatchers, start=1):
                sessions = await make_sessions(
                    database_url, args.users * args.rounds, offset * 10**7
                )
                flows[name] = [updates.form(user, sid) for user, sid in sessions.items()]
            done = {name: [0, 0.0] for name in dispatchers}
            pairs = []
            for round_ in range(args.rounds):  # short turns: a busy moment hurts both alike
                rates = {}
                for name, dispatcher in dispatchers.items():
                    batch = flows[name][round_ * args.users : (round_ + 1) * args.users]
                    count, seconds = await feed(dispatcher, bot, batch, args.concurrency)
                    done[name][0] += count
                    done[name][1] += seconds
                    rates[name] = count / seconds
                pairs.append(rates["review form"] / rates["no-op handler"])
            queued = await redis.zcard("arq:queue")
            for dispatcher in dispatchers.values():
                await dispatcher.emit_shutdown()
        finally:
            await redis.flushdb()
            await redis.aclose()
            await engine.dispose()
    rate = {name: count / seconds for name, (count, seconds) in done.items()}
    out = sys.stdout
    out.write(
        f"{args.rounds} alternating turns of {args.users} users x 11 updates each way, "
        f"{args.concurrency} users at a time, SQLite\n"
    )
    for name, value in rate.items():
        out.write(f"  {name:<14} {value:8.1f} updates/s\n")
    out.write(
        f"  ratio          {rate['review form'] / rate['no-op handler']:8.2f}x   "
        f"(turn by turn {min(pairs):.2f}-{max(pairs):.2f})\n"
        "  targets        >= 300 form updates/s, >= 0.3x the no-op baseline\n"
        f"  analyses queued {queued}; Bot API calls {dict(session.calls)}\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="users per turn")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10, help="turns each way")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    asyncio.run(main(parser.parse_args()))
