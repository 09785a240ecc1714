"""`POST /telegram/webhook`: Telegram's updates in webhook mode, for the bot's Dispatcher.

Only Telegram knows the secret it sends in `X-Telegram-Bot-Api-Secret-Token`; any other
caller gets 401. The answer is immediate; the update is handled in the background.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, Header, HTTPException, Request, Response
from pydantic import ValidationError

from bot.webhook_contract import PATH, SECRET_HEADER
from core.resources import Resources
from core.settings import Settings, TelegramMode

if TYPE_CHECKING:
    from bot.webhook import WebhookFeeder

router = APIRouter(include_in_schema=False)


def check_config(settings: Settings) -> None:
    """Fail at start-up, naming the variable, when webhook mode lacks its settings."""
    if settings.telegram.mode is TelegramMode.webhook:
        from bot.webhook import webhook_config  # aiogram only in webhook mode

        settings.require_token()
        webhook_config(settings)


@asynccontextmanager
async def webhook(app: FastAPI, settings: Settings, resources: Resources) -> AsyncIterator[None]:
    """In webhook mode, run the bot inside the API for the app's lifetime."""
    app.state.telegram = None
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
async def telegram_webhook(
    request: Request, secret: Annotated[str | None, Header(alias=SECRET_HEADER)] = None
) -> Response:
    feeder: WebhookFeeder | None = getattr(request.app.state, "telegram", None)
    if feeder is None:
        raise HTTPException(404, "the bot runs in polling mode")
    if not feeder.authorized(secret):
        raise HTTPException(401, "wrong or missing secret token")
    try:
        update: Any = await request.json()
        feeder.feed(update if isinstance(update, dict) else {})
    except (ValueError, ValidationError):
        raise HTTPException(400, "not a Telegram update") from None
    return Response(status_code=200)
