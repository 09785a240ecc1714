"""The reply journal: what a handler already sent for an update, so that the update, run
again after its process was killed before the ack, does not send it twice.

While the drainer handles an update, every Bot API call that succeeds is appended to a
Redis list for that update (method and result). When the update runs again, its first
calls are answered from that list instead of Telegram, as long as they call the same
methods in the same order; the list goes when the update is acked (`Inbox.ack`).
"""

from __future__ import annotations

import contextlib
import json
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from pydantic import BaseModel
from redis.asyncio import Redis
from redis.exceptions import RedisError

KEPT_SECONDS = 2 * 24 * 3600  # like the done marks: an update is not replayed later


@dataclass
class Handling:
    """The update being handled in this task, and how many of its calls were made."""

    key: str
    sent: list[Any]  # [method, result] pairs recorded by an earlier run
    calls: int = 0


HANDLING: ContextVar[Handling | None] = ContextVar("qtime_update_handling", default=None)


def journal_key(inbox_key: str, update_id: int) -> str:
    return f"{inbox_key}:sent:{update_id}"


async def begin(redis: Redis, inbox_key: str, update_id: int, replay: bool) -> Token[Any]:
    """Mark the current task as handling `update_id` (reset the token when done); on a
    replay, load what the earlier run sent."""
    key = journal_key(inbox_key, update_id)
    sent = [json.loads(item) for item in await redis.lrange(key, 0, -1)] if replay else []  # type: ignore[misc]
    return HANDLING.set(Handling(key, sent))


def watch(bot: Bot, redis: Redis) -> None:
    """Journal `bot`'s calls made while an update is handled (once per Bot session)."""
    if not any(isinstance(m, ReplyJournal) for m in bot.session.middleware):
        bot.session.middleware(ReplyJournal(redis))


class ReplyJournal(BaseRequestMiddleware):
    """Records each call of an update's handling; answers a replay's repeats from the record."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        handling = HANDLING.get()
        if handling is None:
            return await make_request(bot, method)
        index = handling.calls
        name = method.__api_method__
        if index < len(handling.sent) and handling.sent[index][0] == name:
            handling.calls += 1
            answer = {"ok": True, "result": handling.sent[index][1]}
            replayed = Response[method.__returning__].model_validate(  # type: ignore[name-defined]
                answer, context={"bot": bot}
            )
            return cast(Response[TelegramType], replayed.result)
        result = await make_request(bot, method)  # the call's result, despite aiogram's type
        handling.calls += 1  # counted once it succeeded: a retried 429 is one call
        with contextlib.suppress(RedisError, OSError):  # the journal is a help, not a must
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.rpush(handling.key, json.dumps([name, _plain(result)]))
                pipe.expire(handling.key, KEPT_SECONDS)
                await pipe.execute()
        return result


def _plain(result: Any) -> Any:
    """A call's result as JSON values: Telegram objects dumped as Telegram sends them."""
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(result, list):
        return [_plain(item) for item in result]
    return result
