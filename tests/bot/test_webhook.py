"""Webhook mode: only Telegram's secret gets in, once; bodies are capped and must be updates;
updates are handled once however often they come; bad config fails fast."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bot.webhook_contract import MAX_BODY_BYTES
from core.settings import ConfigError, Settings
from tests.bot.conftest import WEBHOOK_SECRET, Chat, PollingBot, WebhookApi
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis
from tracker_api.app import create_app

UPDATE: dict[str, Any] = {
    "update_id": 1,
    "message": {
        "message_id": 1,
        "date": 0,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "Mallory"},
        "text": "/start",
    },
}


SECRET = "X-Telegram-Bot-Api-Secret-Token"


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(SECRET, "guess")],
        [(SECRET, WEBHOOK_SECRET), (SECRET, "guess")],
        [(SECRET, "guess"), (SECRET, WEBHOOK_SECRET)],
        [(SECRET, WEBHOOK_SECRET), (SECRET, WEBHOOK_SECRET)],
        [(SECRET, WEBHOOK_SECRET + "!")],
        [(SECRET, "x" * 300)],
    ],
    ids=["missing", "wrong", "right-then-wrong", "wrong-then-right", "twice", "malformed", "long"],
)
async def test_the_webhook_trusts_one_right_secret_only(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram, headers: list[tuple[str, str]]
) -> None:
    async with httpx.AsyncClient(base_url=webhook_api.url) as client:
        answer = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
    assert answer.status_code == 401
    assert await redis_inbox_depth(webhook_api) == 0
    assert fake_telegram.calls_of("sendMessage") == []


async def test_the_webhook_refuses_what_is_not_an_update(webhook_api: WebhookApi) -> None:
    nested: dict[str, object] = {"leaf": 1}
    for _ in range(200):
        nested = {"x": nested}
    bodies = [
        b"{nope",
        b"[" * 100_000 + b"]" * 100_000,  # a JSON bomb within the size limit
        json.dumps({**UPDATE, "message": {**UPDATE["message"], "x": nested}}).encode(),
        json.dumps({"update_id": "1"}).encode(),
        b"[]",
    ]
    async with httpx.AsyncClient(base_url=webhook_api.url, headers=SIGNED) as client:
        for body in bodies:
            answer = await client.post("/telegram/webhook", content=body)
            assert answer.status_code == 400, body[:40]
    assert await redis_inbox_depth(webhook_api) == 0


async def test_the_webhook_refuses_a_body_over_its_limit(webhook_api: WebhookApi) -> None:
    huge = b'{"update_id": 1, "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the cap is on reading
        for start in range(0, len(huge), 16_384):
            yield huge[start : start + 16_384]

    async with httpx.AsyncClient(base_url=webhook_api.url, headers=SIGNED) as client:
        declared = await client.post("/telegram/webhook", content=huge)
        streamed = await client.post("/telegram/webhook", content=chunked())
    assert (declared.status_code, streamed.status_code) == (413, 413)


async def test_an_update_replayed_three_times_is_handled_once(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    person = {"id": ann.user.id, "is_bot": False, "first_name": "Ann"}
    update = {**UPDATE, "update_id": 7, "message": {**UPDATE["message"], "from": person,
              "chat": {"id": ann.user.id, "type": "private"}, "text": "/help"}}  # fmt: skip
    async with httpx.AsyncClient(base_url=webhook_api.url, headers=SIGNED) as client:
        for _ in range(4):
            answer = await client.post("/telegram/webhook", json=update)
            assert answer.status_code == 200
    await ann.say("/privacy", "What Quality Time stores")  # handled after the /help, in order
    helps = [m for m in fake_telegram.bot_messages(ann.user) if "declare focus" in (m.text or "")]
    assert len(helps) == 1


async def redis_inbox_depth(api: WebhookApi) -> int:
    redis = Redis.from_url(api.settings.redis_url)
    try:
        return int(await redis.xlen("qtime:tg:123456789:inbox"))
    finally:
        await redis.aclose()


SIGNED = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}


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


async def test_an_update_that_cannot_be_stored_is_refused_and_comes_again(
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> None:
    async with own_redis(tmp_path / "redis") as server:
        api = WebhookApi(make_settings, bot_database_url, fake_telegram.url,
                         redis={"url": server.url})  # fmt: skip
        await api.start()
        try:
            ann = fake_telegram.add_user("Ann")
            await server.stop()  # Redis goes away: the update cannot be stored
            fake_telegram.send_message(ann, "/help")
            await fake_telegram.wait_until(
                lambda: any(d.status == 503 for d in fake_telegram.webhook.deliveries),
                timeout=10, what="a refused delivery",
            )  # fmt: skip
            await server.start()
            await fake_telegram.wait_for_text(ann, "declare focus", timeout=20)
        finally:
            await api.stop()
    statuses = [d.status for d in fake_telegram.webhook.deliveries]
    assert statuses[0] == 503 and statuses[-1] == 200
    assert len(fake_telegram.bot_messages(ann)) == 1
