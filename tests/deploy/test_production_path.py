"""The production path, run locally: each part is a real `qtime` process, as on Fly.

`qtime migrate` (the release command) prepares a fresh PostgreSQL; `qtime api` serves the
extension's API and the Telegram webhook; `qtime worker` runs beside it; they share one
Redis. The fake Bot API plays Telegram over HTTP, pushing updates with the secret header.
"""

from __future__ import annotations

import asyncio
import sys

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from core.db.engine import create_engine
from core.db.migrate import alembic_config
from core.settings import load_settings
from tests.deploy import files
from tests.deploy.conftest import WEBHOOK_SECRET
from tests.deploy.processes import Qtime, Running, wait_for_http
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_models import FakeUser

WAIT = 30.0  # seconds: a generous deadline, not a speed requirement


async def query(production: Qtime, sql: str) -> list[tuple[object, ...]]:
    url = load_settings(_env_file=None, database={"url": production.env["QTIME_DATABASE__URL"]})
    engine = create_engine(url.database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


def with_our_python(argv: list[str]) -> list[str]:
    """A healthcheck written for the image's `python`, run with this virtualenv's."""
    return [sys.executable, *argv[1:]] if argv[0] == "python" else argv


async def release(production: Qtime) -> None:
    code, output = await production.command("migrate")
    assert code == 0, output
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert await query(production, "SELECT version_num FROM alembic_version") == [(head,)]


async def api_is_healthy(production: Qtime, api: Running) -> None:
    base = production.env["QTIME_API__PUBLIC_URL"]
    assert (await wait_for_http(api, f"{base}/healthz")).status_code == 200
    code, output = await production.run(*with_our_python(files.dockerfile_healthcheck()))
    assert code == 0, f"the image's HEALTHCHECK fails against a live API: {output}"
    ready = await wait_for_http(api, f"{base}/readyz")
    assert ready.json() == {"ready": True, "database": "ok", "redis": "ok"}


async def webhook_answers_with_the_secret(production: Qtime, telegram: FakeTelegram) -> FakeUser:
    webhook = telegram.webhook
    await telegram.wait_until(lambda: webhook.url, WAIT, "setWebhook")
    assert webhook.url == production.env["QTIME_API__PUBLIC_URL"] + "/telegram/webhook"
    assert webhook.secret_token == WEBHOOK_SECRET
    alice = telegram.add_user("Alice")
    telegram.send_message(alice, "/start")
    await telegram.wait_for_text(alice, "Quality Time", WAIT)
    assert await query(production, "SELECT telegram_id FROM users") == [(alice.id,)]
    return alice


async def webhook_refuses_a_wrong_secret(telegram: FakeTelegram, alice: FakeUser) -> None:
    webhook = telegram.webhook
    webhook.secret_token = "not-the-secret"
    since = telegram.seq
    telegram.send_message(alice, "/help")
    refused = await telegram.wait_until(
        lambda: [d for d in webhook.deliveries if d.status is not None and d.status >= 400],
        WAIT,
        "the webhook's refusal",
    )
    assert refused[0].status == 401
    assert not [m for m in telegram.bot_messages(alice) if m.seq > since]
    # Telegram keeps retrying; once the secret matches, the same update is answered.
    webhook.secret_token = WEBHOOK_SECRET
    await telegram.wait_for(alice, lambda message: True, WAIT, since=since)


async def browser_session_reaches_the_chat_through_the_worker(
    production: Qtime, telegram: FakeTelegram, alice: FakeUser
) -> None:
    """The extension pairs and starts a session; the worker process tells Alice in Telegram."""
    base = production.env["QTIME_API__PUBLIC_URL"]
    async with httpx.AsyncClient(base_url=base, timeout=10) as extension:
        pairing = await extension.post("/v1/pairings", json={"device_name": "Laptop"})
        assert pairing.status_code == 201, pairing.text
        code = pairing.json()["code"]
        assert pairing.json()["deep_link"] == f"https://t.me/{telegram.bot.username}?start={code}"
        since = telegram.seq
        telegram.send_message(alice, f"/start {code}")
        asked = await telegram.wait_for_text(alice, "asks to be linked", WAIT, since=since)
        telegram.click(alice, asked, text="Link")  # the bot binds only what Alice confirms
        token = await collect_token(extension, pairing.json()["id"])
        started = await extension.post(
            "/v1/sessions",
            json={"minutes": 25, "goal": "write chapter 2"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert started.status_code == 201, started.text
    message = await telegram.wait_for_text(alice, "Focus started from your browser", WAIT)
    assert message.text and "write chapter 2" in message.text


async def collect_token(extension: httpx.AsyncClient, pairing_id: str) -> str:
    """Poll the pairing, as the extension's options page does, until the bot has bound it."""
    for _ in range(int(WAIT * 10)):
        answer = (await extension.get(f"/v1/pairings/{pairing_id}")).json()
        if answer["status"] == "completed":
            token: str = answer["token"]
            return token
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot never completed the pairing: {answer}")


async def worker_is_healthy(production: Qtime, worker: Running) -> None:
    check = files.healthcheck_argv(files.our_services()["worker"]["healthcheck"]["test"])
    code, output = await production.run(*with_our_python(check))
    assert code == 0, f"compose's worker health check fails:\n{output}\n{worker.output()}"


@pytest.mark.timeout(300)  # four Python processes start here; CI machines are small
async def test_release_then_api_webhook_and_worker_through_one_redis(
    production: Qtime, fake_telegram: FakeTelegram
) -> None:
    await release(production)
    async with production.serving("api") as api, production.serving("worker") as worker:
        await api_is_healthy(production, api)
        alice = await webhook_answers_with_the_secret(production, fake_telegram)
        await webhook_refuses_a_wrong_secret(fake_telegram, alice)
        await browser_session_reaches_the_chat_through_the_worker(production, fake_telegram, alice)
        await worker_is_healthy(production, worker)
        assert await worker.stop() == 0, worker.output()
        assert await api.stop() == 0, api.output()
    secrets = (fake_telegram.token, WEBHOOK_SECRET, production.env["QTIME_DATABASE__URL"])
    for part in (api, worker):
        assert not [s for s in secrets if s in part.output()], "a secret reached the logs"
