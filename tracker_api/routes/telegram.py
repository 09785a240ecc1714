"""`POST /telegram/webhook`: Telegram's updates in webhook mode, stored in the bot's inbox.

Only Telegram knows the secret it sends in `X-Telegram-Bot-Api-Secret-Token`: a call with
no such header, two of them, or a wrong one gets 401. A body over `MAX_BODY_BYTES` gets 413
before more of it is read; JSON that is not an update (or nests deeper than any update)
gets 400. 200 means the update is stored (or was before: a replay is handled once); 503
means it could not be, and Telegram sends it again.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from redis.exceptions import RedisError

from bot.webhook_contract import MAX_BODY_BYTES, MAX_NESTING, PATH, SECRET_HEADER
from core.infra.resources import Resources
from core.settings import Settings, TelegramMode
from tracker_api.metrics import watch_inbox

if TYPE_CHECKING:
    from bot.webhook import WebhookFeeder

router = APIRouter(include_in_schema=False)
NOT_AN_UPDATE = "not a Telegram update"


def check_config(settings: Settings) -> None:
    """Fail at start-up, naming the variable, when webhook mode lacks its settings."""
    if settings.telegram.mode is TelegramMode.webhook:
        from bot.webhook import webhook_config  # aiogram only in webhook mode

        settings.require_token()
        webhook_config(settings)


@asynccontextmanager
async def webhook(app: FastAPI, settings: Settings, resources: Resources) -> AsyncIterator[None]:
    """In webhook mode, run the bot inside the API for the app's lifetime; in either mode,
    keep the inbox's depth in /metrics."""
    app.state.telegram = None
    async with watch_inbox(settings, resources.redis):
        if settings.telegram.mode is not TelegramMode.webhook:
            yield
            return
        from bot.webhook import WebhookFeeder  # aiogram only in webhook mode

        feeder = WebhookFeeder.create(settings, resources.sessionmaker, resources.redis)
        try:
            await feeder.register()
            app.state.telegram = feeder
            yield
        finally:
            app.state.telegram = None
            await feeder.close()


@router.post(PATH)
async def telegram_webhook(request: Request) -> Response:
    feeder: WebhookFeeder | None = getattr(request.app.state, "telegram", None)
    if feeder is None:
        raise HTTPException(404, "the bot runs in polling mode")
    if not feeder.authorized(request.headers.getlist(SECRET_HEADER)):
        raise HTTPException(401, "wrong or missing secret token")
    try:
        update = feeder.parse(_shallow(json.loads(await _read_capped(request))))
    except (ValueError, RecursionError):  # JSONDecodeError and pydantic's errors included
        raise HTTPException(400, NOT_AN_UPDATE) from None
    try:
        stored = await feeder.store(update)
    except (RedisError, OSError):
        raise HTTPException(503, "the update could not be stored; send it again") from None
    if not stored:
        raise HTTPException(503, "the update inbox is full; send it again later")
    return Response(status_code=200)


async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"an update is at most {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(413, f"an update is at most {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _shallow(value: Any) -> Any:
    """`value` when it nests at most MAX_NESTING deep; ValueError otherwise."""
    level: list[Any] = [value]
    for _ in range(MAX_NESTING):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return value
    raise ValueError("nested too deep")
