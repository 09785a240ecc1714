"""The session seen from the browser: state, start (and the bot's jobs), end, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from arq.connections import ArqRedis
from sqlalchemy import select

from core.db.engine import SessionMaker, transaction
from core.db.models import Device, FocusSession, SessionSource, SessionStatus
from core.infra.queue import SESSION_DUE, SESSION_STARTED
from core.settings import Settings
from tests.api.conftest import Linked, client_for, exclude, running
from tests.conftest import REDIS_URL

WORK = {"minutes": 50, "goal": "write chapter 2"}


async def test_no_session_at_first(client: httpx.AsyncClient, linker: Any) -> None:
    ann: Linked = await linker()
    body = (await client.get("/v1/session", headers=ann.auth)).json()
    assert body["active"] is False
    assert body["id"] is None and body["goal"] is None and body["ends_at"] is None
    assert datetime.fromisoformat(body["server_time"]).tzinfo is not None
    assert body["track_titles"] is False and body["excluded_hosts"] == []


async def test_privacy_rules_are_reported(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker(track_titles=True)
    await exclude(sessionmaker, ann.user_id, "bank.example")
    body = (await client.get("/v1/session", headers=ann.auth)).json()
    assert body["track_titles"] is True and body["excluded_hosts"] == ["bank.example"]


async def test_start_from_the_browser(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker()
    started = await client.post("/v1/sessions", json=WORK, headers=ann.auth)
    assert started.status_code == 201
    body = started.json()
    assert body["active"] is True and body["goal"] == "write chapter 2"
    ends = datetime.fromisoformat(body["ends_at"]) - datetime.fromisoformat(body["started_at"])
    assert ends.total_seconds() == 50 * 60
    assert (await client.get("/v1/session", headers=ann.auth)).json()["id"] == body["id"]
    async with sessionmaker() as db:
        session = await db.get(FocusSession, body["id"])
    assert session is not None and session.source == SessionSource.extension

    pool = ArqRedis.from_url(REDIS_URL)
    jobs = {job.job_id: job for job in await pool.queued_jobs()}
    await pool.aclose()
    assert jobs[f"due:{body['id']}"].function == SESSION_DUE
    assert jobs[f"started:{body['id']}"].function == SESSION_STARTED
    assert jobs[f"due:{body['id']}"].args == (body["id"],)


async def test_second_start_conflicts(client: httpx.AsyncClient, linker: Any) -> None:
    ann: Linked = await linker()
    assert (await client.post("/v1/sessions", json=WORK, headers=ann.auth)).status_code == 201
    again = await client.post("/v1/sessions", json=WORK, headers=ann.auth)
    assert again.status_code == 409
    assert "already running" in again.json()["detail"]


async def test_bad_plans_are_422(client: httpx.AsyncClient, linker: Any) -> None:
    ann: Linked = await linker()
    for plan in ({"minutes": 0, "goal": "x"}, {"minutes": 30, "goal": "   "}, {"minutes": 30}):
        answer = await client.post("/v1/sessions", json=plan, headers=ann.auth)
        assert answer.status_code == 422, plan
        assert answer.json()["detail"]


async def test_end_from_the_browser(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker()
    session_id = (await client.post("/v1/sessions", json=WORK, headers=ann.auth)).json()["id"]
    ended = await client.post("/v1/session/end", headers=ann.auth)
    assert ended.status_code == 200 and ended.json()["active"] is False
    async with sessionmaker() as db:
        session = await db.get(FocusSession, session_id)
    assert session is not None and session.status == SessionStatus.ended
    assert session.ended_at is not None
    pool = ArqRedis.from_url(REDIS_URL)
    jobs = {job.job_id: job for job in await pool.queued_jobs()}
    await pool.aclose()
    assert jobs[f"ended:{session_id}"].function == SESSION_DUE, "the review is offered now"

    nothing = await client.post("/v1/session/end", headers=ann.auth)
    assert nothing.status_code == 404 and nothing.json()["detail"] == "no focus session is running"


async def test_start_works_with_redis_down(no_redis_settings: Settings, linker: Any) -> None:
    ann: Linked = await linker()
    async for app in running(no_redis_settings):
        async with client_for(app) as client:
            started = await client.post("/v1/sessions", json=WORK, headers=ann.auth)
            ended = await client.post("/v1/session/end", headers=ann.auth)
    assert started.status_code == 201 and ended.status_code == 200


async def test_revoked_token_is_refused_at_once(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker()
    assert (await client.delete("/v1/devices/me", headers=ann.auth)).status_code == 204
    for method, path in [("GET", "/v1/session"), ("POST", "/v1/events"), ("GET", "/v1/stream")]:
        answer = await client.request(method, path, headers=ann.auth)
        assert answer.status_code == 401, path
        assert answer.json()["detail"]
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    async with sessionmaker() as db:
        device = await db.get(Device, ann.device_id)
    assert device is not None and device.revoked_at is not None


async def test_missing_or_unknown_token_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        answer = await client.get("/v1/session", headers=headers)
        assert answer.status_code == 401 and answer.json()["detail"]


async def test_last_seen_is_recorded(
    client: httpx.AsyncClient, linker: Any, sessionmaker: SessionMaker
) -> None:
    ann: Linked = await linker()
    async with transaction(sessionmaker) as db:
        device = await db.get(Device, ann.device_id)
        assert device is not None
        device.last_seen_at = None
    await client.get("/v1/session", headers=ann.auth)
    async with sessionmaker() as db:
        seen = (
            await db.execute(select(Device.last_seen_at).where(Device.id == ann.device_id))
        ).scalar_one()
    assert seen is not None
