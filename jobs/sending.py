"""The send slot a job holds while it claims a message (`bot.send_limit`)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from bot.send_limit import SendLimiter


def send_slot(ctx: dict[str, Any], chat_id: int) -> AbstractAsyncContextManager[None]:
    """Wait for `chat_id`'s turn in the shared send budget and hold it for the first send
    inside; claim the message in there, so a kill while waiting leaves it owed."""
    limiter: SendLimiter | None = ctx.get("send_limiter")
    if limiter is None:  # a job run outside the worker (a script, a test): the same budget
        limiter = ctx["send_limiter"] = SendLimiter(ctx["resources"].redis, ctx["bot"].id)
    return limiter.slot(chat_id)
