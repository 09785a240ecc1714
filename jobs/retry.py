"""When a job tries a Telegram send again after a failure that will pass."""

from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from arq import Retry

# No connection, a Telegram 5xx, or flood control: the same call may well work later.
PASSING = (TelegramNetworkError, TelegramServerError, TelegramRetryAfter)


def retry_send(ctx: dict[str, Any], exc: Exception, backoff: float) -> Retry:
    """The job's next try: after the wait a 429 asked for, else `backoff` times the tries."""
    wait = exc.retry_after if isinstance(exc, TelegramRetryAfter) else None
    return Retry(defer=wait or backoff * ctx.get("job_try", 1))
