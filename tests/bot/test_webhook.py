"""Webhook mode: only Telegram's secret gets in, updates are handled once, bad config fails fast."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from core.settings import ConfigError, Settings
from tests.bot.conftest import Chat, PollingBot, WebhookApi
from tests.fakes.telegram import FakeTelegram
from tracker_api.app import create_app

UPDATE = {
    "update_id": 1,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Mallory"},
        "text": "/start",
    },
}


async def test_the_webhook_refuses_callers_without_the_secret(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram
) -> None:
    async with httpx.AsyncClient(base_url=webhook_api.url) as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
            answer = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
            assert answer.status_code == 401
        assert fake_telegram.calls_of("sendMessage") == []
        secret = {"X-Telegram-Bot-Api-Secret-Token": fake_telegram.webhook.secret_token or ""}
        answer = await client.post("/telegram/webhook", content=b"{nope", headers=secret)
        assert answer.status_code == 400


async def handled_once(fake_telegram: FakeTelegram) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/help", "declare focus")
    fake_telegram.redeliver(fake_telegram.updates[-1]["update_id"])
    await ann.say("/privacy", "What Quality Time stores")
    assert len(fake_telegram.bot_messages(ann.user)) == 2


async def test_a_redelivered_update_is_handled_once_by_webhook(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram
) -> None:
    await handled_once(fake_telegram)


async def test_a_redelivered_update_is_handled_once_by_polling(
    polling_bot: PollingBot, fake_telegram: FakeTelegram
) -> None:
    await handled_once(fake_telegram)


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"api": {"public_url": "https://qtime.example"}}, "QTIME_TELEGRAM__WEBHOOK_SECRET"),
        ({"telegram": {"webhook_secret": "s3cret"}}, "QTIME_API__PUBLIC_URL"),
        (
            {
                "telegram": {"webhook_secret": "with spaces"},
                "api": {"public_url": "https://q.example"},
            },
            "QTIME_TELEGRAM__WEBHOOK_SECRET",
        ),
    ],
)
def test_webhook_mode_names_the_missing_setting(
    make_settings: Callable[..., Settings], overrides: dict[str, dict[str, str]], variable: str
) -> None:
    telegram = {"mode": "webhook", **overrides.get("telegram", {})}
    settings = make_settings(telegram=telegram, api=overrides.get("api", {}))
    with pytest.raises(ConfigError, match=variable):
        create_app(settings)


def test_polling_mode_needs_no_webhook_settings(make_settings: Callable[..., Settings]) -> None:
    assert create_app(make_settings()).title
