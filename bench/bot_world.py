"""The world `bench.bot` plays in: a Bot session that answers at once as Telegram would,
raw updates of users walking the review form, and users with a finished session."""

from __future__ import annotations

import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message

from core.accounts.users import upsert_telegram_user
from core.db.base import utcnow
from core.db.engine import create_engine, create_sessionmaker, transaction
from core.db.models import ActivityEvent
from core.sessions.lifecycle import end_session, start_session

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
