"""Flood control: Telegram's send rate limits and scripted failures."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tests.fakes.telegram_models import ApiError

SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


@dataclass
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Take one token; 0 when allowed, else the seconds until one is free."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class RateLimits:
    """Messages per second for the whole bot and per chat (None disables one)."""

    global_per_second: float | None = 30.0
    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 5


class FloodControl:
    """Answers 429 like Telegram when a bot sends too fast, or when a test says so."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._forced: dict[str, deque[ApiError]] = {}
        self.configure(limits)

    def configure(self, limits: RateLimits) -> None:
        self.limits = limits
        now = self.clock()
        rate = limits.global_per_second
        self._global = None if rate is None else TokenBucket(rate, rate, rate, now)
        self._chats.clear()

    def fail_next(self, method: str, times: int, error: ApiError) -> None:
        """The next `times` calls of `method` get `error` instead of being served."""
        queue = self._forced.setdefault(method.lower(), deque())
        queue.extend([error] * times)

    def forced(self, method: str) -> ApiError | None:
        queue = self._forced.get(method.lower())
        return queue.popleft() if queue else None

    def check_send(self, method: str, chat_id: int) -> None:
        """Raise 429 when a send* call is over the global or the per-chat rate."""
        if method.lower() not in SEND_METHODS:
            return
        now = self.clock()
        waits = []
        if self._global is not None:
            waits.append(self._global.take(now))
        rate = self.limits.per_chat_per_second
        if rate is not None:
            burst = float(max(self.limits.per_chat_burst, 1))
            bucket = self._chats.setdefault(chat_id, TokenBucket(rate, burst, burst, now))
            waits.append(bucket.take(now))
        wait = max(waits, default=0.0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
