"""Re-prompts that a burst of typing cannot multiply: 20 messages typed into a button step
get one "please tap a button", not 20 (which would also run into Telegram's flood limit)."""

from __future__ import annotations

from redis.asyncio import Redis

REPROMPT_COOLDOWN_MS = 5000


async def may_reprompt(redis: Redis, chat_id: int, step: str | None) -> bool:
    """True for the first wrong input in a chat's `step` in `REPROMPT_COOLDOWN_MS`; the rest
    get none (a wrong input in the next step gets its own re-prompt)."""
    key = f"qtime:tg:reprompt:{chat_id}:{step}"
    return bool(await redis.set(key, 1, nx=True, px=REPROMPT_COOLDOWN_MS))
