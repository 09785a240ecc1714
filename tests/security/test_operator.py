"""What an operator's machine shows: /metrics only to its token, files only to the owner,
and logs at DEBUG without goals, names, hosts, titles or tokens."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from core.db.base import utcnow
from tests.bot.conftest import Chat, PollingBot
from tests.fakes.telegram import FakeTelegram
from tests.security.conftest import METRICS_TOKEN, linked_device

GOAL, DEVICE, HOST, TITLE = "zq-secret-goal", "Zq-Secret-Laptop", "zq-secret.example", "Zq Title"


async def test_metrics_need_their_token(api_in: Callable[..., Any]) -> None:
    async with api_in() as api, httpx.AsyncClient(base_url=api.url) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer guess"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert right.status_code == 200 and "qtime_api_requests" in right.text
    async with api_in(QTIME_API__METRICS_TOKEN="") as api, httpx.AsyncClient() as client:
        off = await client.get(f"{api.url}/metrics", headers={"Authorization": "Bearer x"})
        assert off.status_code == 403 and "QTIME_API__METRICS_TOKEN" in off.text


async def test_data_files_are_the_owners_alone_and_debug_logs_hold_no_personal_data(
    api_in: Callable[..., Any],
) -> None:
    async with (
        api_in(QTIME_LOG_LEVEL="DEBUG") as api,
        linked_device(api) as ann,
        httpx.AsyncClient(base_url=api.url, headers=ann.auth) as client,
    ):
        paired = await client.post("/v1/pairings", json={"device_name": DEVICE})
        assert paired.status_code == 201
        started = await client.post("/v1/sessions", json={"minutes": 25, "goal": GOAL})
        assert started.status_code == 201
        now = utcnow()
        event = {"id": "5b0e3c8e-8f0e-4c39-9d43-1c2b3a4d5e6f", "host": HOST, "title": TITLE,
                 "start": (now - timedelta(seconds=30)).isoformat(), "end": now.isoformat(),
                 "audible": False, "idle": False}  # fmt: skip
        assert (await client.post("/v1/events", json={"events": [event]})).status_code == 202
        assert GOAL in (await client.get("/v1/session")).text
        log = api.log()
        names = {path.name for path in api.data_dir.rglob("*")}
        loose = [
            path for path in [api.data_dir, *api.data_dir.rglob("*")]
            if stat.S_IMODE(path.stat().st_mode) & 0o077
        ]  # fmt: skip
    assert " DEBUG " in log  # the level really was DEBUG
    for secret in (GOAL, DEVICE, HOST, TITLE, ann.token, paired.json()["code"]):
        assert secret not in log, secret
    assert {"qtime.db", "qtime.db-wal", "qtime.db-shm"} <= names
    assert loose == []


async def test_the_bot_logs_no_message_text_or_names_at_debug(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    zelda = Chat(fake_telegram, fake_telegram.add_user("Zqfirstname"))
    await zelda.say("/start", "Hi Zqfirstname")
    await zelda.say(f"/focus 25 {GOAL}", "Focus on")
    await zelda.say("/done", "")
    assert any(record.name.startswith("aiogram") for record in caplog.records)  # captured
    for record in caplog.records:
        seen = f"{record.getMessage()} {record.__dict__}"
        assert GOAL not in seen and "Zqfirstname" not in seen, record.name
