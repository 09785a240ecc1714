"""The API under test: `create_app` with its lifespan, reached through httpx, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from core.accounts.pairing import create_pairing, redeem_code
from core.accounts.users import upsert_telegram_user
from core.db.base import utcnow
from core.db.engine import SessionMaker, transaction
from core.db.models import Category, FocusSession, HostRule, SessionStatus, User
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tracker_api.app import create_app

CLIENT_ADDRESS = ("203.0.113.7", 51000)
METRICS_TOKEN = "test-metrics-token"
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@pytest.fixture
def api_settings(
    make_settings: Callable[..., Settings],
    database_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
) -> Settings:
    return make_settings(
        database={"url": database_url},
        telegram={"api_url": fake_telegram.url},
        api={"metrics_token": METRICS_TOKEN},
    )


@pytest.fixture
def no_redis_settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    """Redis (and the Bot API) at a closed port: what the API does when they are down."""
    return make_settings(
        database={"url": database_url},
        redis={"url": "redis://127.0.0.1:9/0"},
        telegram={"api_url": "http://127.0.0.1:9"},
    )


async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app(api_settings: Settings) -> AsyncIterator[FastAPI]:
    async for started in running(api_settings):
        yield started


def client_for(app: FastAPI, address: tuple[str, int] = CLIENT_ADDRESS) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://qtime.test")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@dataclass
class Linked:
    """A Telegram user with one paired browser."""

    user_id: int
    device_id: int
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(sessionmaker: SessionMaker, telegram_id: int, **settings: Any) -> User:
    async with transaction(sessionmaker) as db:
        user, _ = await upsert_telegram_user(
            db, telegram_id=telegram_id, chat_id=telegram_id, first_name="Ann"
        )
        for name, value in settings.items():
            setattr(user, name, value)
    return user


async def link(sessionmaker: SessionMaker, telegram_id: int, **settings: Any) -> Linked:
    """A user made through the bot path, with a browser paired by a `/link` code."""
    user = await make_user(sessionmaker, telegram_id, **settings)
    async with transaction(sessionmaker) as db:
        _, code = await create_pairing(db, user=user)
    async with transaction(sessionmaker) as db:
        pairing, token = await redeem_code(db, code, device_name="Firefox")
    assert pairing.device_id is not None
    return Linked(user.id, pairing.device_id, token)


@pytest.fixture
def linker(sessionmaker: SessionMaker) -> Callable[..., Any]:
    counter = iter(range(1000, 2000))

    async def make(**settings: Any) -> Linked:
        return await link(sessionmaker, next(counter), **settings)

    return make


async def add_session(
    sessionmaker: SessionMaker,
    user_id: int,
    *,
    started: datetime,
    minutes: int,
    ended: datetime | None = None,
    status: SessionStatus = SessionStatus.active,
) -> int:
    """A session with chosen times, as if declared in the bot earlier."""
    async with transaction(sessionmaker) as db:
        session = FocusSession(
            user_id=user_id,
            goal="write chapter 2",
            started_at=started,
            planned_end=started + timedelta(minutes=minutes),
            ended_at=ended,
            status=status,
        )
        db.add(session)
        await db.flush()
        return session.id


async def exclude(sessionmaker: SessionMaker, user_id: int, pattern: str) -> None:
    async with transaction(sessionmaker) as db:
        db.add(HostRule(user_id=user_id, pattern=pattern, category=Category.excluded))


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)
