"""The long-lived clients one process needs, opened and closed together."""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db.engine import SessionMaker, create_engine, create_sessionmaker
from core.settings import Settings


@dataclass
class Resources:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: SessionMaker
    redis: ArqRedis  # a redis.asyncio.Redis that can also enqueue arq jobs

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        engine = create_engine(settings.database_url, echo=settings.database.echo)
        return cls(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            redis=ArqRedis.from_url(settings.redis_url, socket_connect_timeout=2),
        )

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()
