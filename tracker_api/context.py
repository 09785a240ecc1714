"""What the API process holds for its lifetime, opened and closed by the app's lifespan."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta

from pydantic import SecretStr

from core.db.engine import (
    SessionMaker,
    create_engine,
    create_reader_sessionmaker,
    create_sqlite_thread_engine,
)
from core.db.writer import AutocommitWriter, ThreadWriter, Writer
from core.infra.ratelimit import HoldLimiter, WindowLimiter
from core.infra.resources import Resources
from core.settings import Settings
from tracker_api.client import Network

log = logging.getLogger(__name__)

# Each limit is listed in the README ("Limits"); past one the API answers 429.
REDEEM_FAILURES = 10  # wrong codes per client address...
REDEEM_WINDOW = timedelta(minutes=15)  # ...within this window
PAIRINGS = 20  # new pairings per client address...
PAIRINGS_WINDOW = timedelta(hours=1)  # ...within this window
EVENT_WINDOW = timedelta(minutes=1)  # QTIME_API__EVENT_BATCHES_PER_MINUTE per device token
STREAMS = 5  # open event streams per device token
STREAM_LEASE = timedelta(seconds=60)  # a crashed API's streams stop counting after this
GETME_TIMEOUT = 3  # seconds; a pairing answers without the link rather than wait
GETME_RETRY_SECONDS = 60.0


@dataclass
class BotInfo:
    """The bot's username for deep links: asked once with getMe, remembered; after a failure,
    asked again a minute later.

    A plain stdlib request on purpose: aiogram's client would load its Telegram types,
    about 150 MB, into an API process that otherwise never needs them.
    """

    api_url: str
    token: str | None
    username: str | None = None
    _failed_at: float = field(default=-GETME_RETRY_SECONDS)

    async def get_username(self) -> str | None:
        if self.username or not self.token:
            return self.username
        if time.monotonic() - self._failed_at < GETME_RETRY_SECONDS:
            return None
        try:
            self.username = await asyncio.to_thread(self._get_me)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError is an OSError
            log.warning("getMe failed", extra={"error": type(exc).__name__})
            self._failed_at = time.monotonic()
        return self.username

    def _get_me(self) -> str:
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/getMe"
        with urllib.request.urlopen(url, timeout=GETME_TIMEOUT) as answer:
            username = json.load(answer)["result"]["username"]
        if not isinstance(username, str):
            raise TypeError("getMe gave no username")
        return username


@dataclass
class ApiLimits:
    """The API's rate limits, and who the client is for the per-address ones."""

    redeem: WindowLimiter
    pairings: WindowLimiter
    events: WindowLimiter
    streams: HoldLimiter
    trusted_proxies: list[Network]
    client_ip_header: str

    @classmethod
    def open(cls, resources: Resources, settings: Settings) -> ApiLimits:
        redis = resources.redis
        return cls(
            redeem=WindowLimiter(redis, "redeem", limit=REDEEM_FAILURES, window=REDEEM_WINDOW),
            pairings=WindowLimiter(redis, "pairings", limit=PAIRINGS, window=PAIRINGS_WINDOW),
            events=WindowLimiter(
                redis, "events", limit=settings.api.event_batches_per_minute, window=EVENT_WINDOW
            ),
            streams=HoldLimiter(redis, "streams", limit=STREAMS, lease=STREAM_LEASE),
            trusted_proxies=list(settings.api.trusted_proxies),
            client_ip_header=settings.api.client_ip_header,
        )


@dataclass
class ApiContext:
    resources: Resources
    reader: SessionMaker  # read-only sessions: never wait for the SQLite write lock
    writer: Writer  # ingest's units of work
    limits: ApiLimits
    bot_info: BotInfo
    metrics_token: SecretStr | None  # /metrics is refused without it

    @classmethod
    async def open(cls, settings: Settings) -> ApiContext:
        resources = Resources.open(settings)
        writer: Writer = (
            ThreadWriter(create_sqlite_thread_engine(settings.database_url))
            if settings.is_sqlite
            else AutocommitWriter(create_engine(settings.database_url, pre_ping=False))
        )
        await writer.start()
        token = settings.telegram.token.get_secret_value() if settings.telegram.token else None
        return cls(
            resources=resources,
            reader=create_reader_sessionmaker(resources.engine),
            writer=writer,
            limits=ApiLimits.open(resources, settings),
            bot_info=BotInfo(settings.telegram.api_url, token),
            metrics_token=settings.api.metrics_token,
        )

    async def close(self) -> None:
        await self.writer.stop()
        await self.resources.close()
