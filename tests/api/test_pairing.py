"""Pairing both ways: the deep link the bot binds, and the /link code the browser redeems."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from core.accounts.pairing import bind_code, create_pairing, purge_expired
from core.db.engine import SessionMaker, transaction
from core.db.models import Device, Pairing, User
from core.settings import Settings
from tests.api.conftest import ago, client_for, make_user, running
from tracker_api.context import REDEEM_FAILURES
from tracker_api.errors import TOO_MANY_ATTEMPTS

BERLIN = {"device_name": "Chromium on the laptop", "timezone": "Europe/Berlin"}


async def expire(sessionmaker: SessionMaker, pairing_id: str) -> None:
    async with transaction(sessionmaker) as db:
        await db.execute(
            update(Pairing)
            .where(Pairing.id == uuid.UUID(pairing_id))
            .values(expires_at=ago(minutes=1))
        )


async def test_deep_link_pairing_gives_the_token_once(
    client: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    created = await client.post("/v1/pairings", json=BERLIN)
    assert created.status_code == 201
    body = created.json()
    assert body["deep_link"] == f"https://t.me/qtime_test_bot?start={body['code']}"
    assert (await client.get(f"/v1/pairings/{body['id']}")).json() == {"status": "pending"}

    user = await make_user(sessionmaker, 42)
    async with transaction(sessionmaker) as db:
        await bind_code(db, body["code"], await db.get(User, user.id) or user)

    collected = (await client.get(f"/v1/pairings/{body['id']}")).json()
    assert collected["status"] == "completed"
    again = (await client.get(f"/v1/pairings/{body['id']}")).json()
    assert again["status"] == "collected" and "token" not in again

    session = await client.get(
        "/v1/session", headers={"Authorization": f"Bearer {collected['token']}"}
    )
    assert session.status_code == 200
    async with sessionmaker() as db:
        device = await db.get(Device, collected["device_id"])
        stored_user = await db.get(User, user.id)
    assert device is not None and device.user_id == user.id
    assert device.name == "Chromium on the laptop"
    assert device.token_hash != collected["token"]  # only a hash is stored
    assert stored_user is not None and stored_user.timezone == "Europe/Berlin"


async def test_pending_pairing_expires(
    client: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    body = (await client.post("/v1/pairings", json=BERLIN)).json()
    await expire(sessionmaker, body["id"])
    answer = await client.get(f"/v1/pairings/{body['id']}")
    assert answer.status_code == 410
    assert "expired" in answer.json()["detail"]


@pytest.mark.parametrize("pairing_id", [str(uuid.uuid4()), "not-a-uuid"])
async def test_unknown_pairing_is_404(client: httpx.AsyncClient, pairing_id: str) -> None:
    answer = await client.get(f"/v1/pairings/{pairing_id}")
    assert answer.status_code == 404
    assert answer.json()["detail"]


async def test_bad_time_zone_is_422(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/pairings", json={"device_name": "x", "timezone": "Mars/Base"})
    assert answer.status_code == 422
    [issue] = answer.json()["detail"]  # a list of issues, as the schema says
    assert "time zone" in issue["msg"] and issue["loc"] == ["body", "timezone"]


async def test_without_bot_api_the_code_still_comes(no_redis_settings: Settings) -> None:
    async for app in running(no_redis_settings):
        async with client_for(app) as client:
            body = (await client.post("/v1/pairings", json=BERLIN)).json()
    assert body["deep_link"] is None and len(body["code"]) == 8


async def bot_code(sessionmaker: SessionMaker, telegram_id: int = 7) -> str:
    """What the bot's /link answers: a code already bound to the user."""
    user = await make_user(sessionmaker, telegram_id)
    async with transaction(sessionmaker) as db:
        _, code = await create_pairing(db, user=await db.get(User, user.id))
    return code


async def test_redeeming_a_bot_code(client: httpx.AsyncClient, sessionmaker: SessionMaker) -> None:
    code = await bot_code(sessionmaker)
    typed = f"{code[:4].lower()}-{code[4:]}"
    answer = await client.post("/v1/pairings/redeem", json={"code": typed, **BERLIN})
    assert answer.status_code == 200
    token = answer.json()["token"]
    assert (
        await client.get("/v1/session", headers={"Authorization": f"Bearer {token}"})
    ).is_success

    reused = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert reused.status_code == 404
    async with sessionmaker() as db:
        user = (await db.execute(select(User))).scalar_one()
    assert user.timezone == "Europe/Berlin"


async def test_expired_bot_code_is_410(
    client: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    code = await bot_code(sessionmaker)
    async with transaction(sessionmaker) as db:
        await db.execute(update(Pairing).values(expires_at=ago(minutes=1)))
    answer = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert answer.status_code == 410


async def test_code_made_by_the_extension_cannot_be_redeemed(client: httpx.AsyncClient) -> None:
    code = (await client.post("/v1/pairings", json=BERLIN)).json()["code"]
    answer = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert answer.status_code == 404


async def guess_until_blocked(client: httpx.AsyncClient) -> None:
    for _ in range(REDEEM_FAILURES):
        wrong = await client.post("/v1/pairings/redeem", json={"code": "ZZZZZZZZ", **BERLIN})
        assert wrong.status_code == 404


async def test_guessing_is_rate_limited_per_address(
    app: Any, client: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    code = await bot_code(sessionmaker)
    await guess_until_blocked(client)
    blocked = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert blocked.status_code == 429
    assert blocked.json()["detail"] == TOO_MANY_ATTEMPTS
    assert int(blocked.headers["Retry-After"]) > 0

    async with client_for(app, ("198.51.100.9", 4000)) as other:
        answer = await other.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert answer.status_code == 200


async def test_guessing_limit_is_shared_by_api_instances(
    api_settings: Settings, sessionmaker: SessionMaker
) -> None:
    code = await bot_code(sessionmaker)
    async for first in running(api_settings):
        async with client_for(first) as client:
            await guess_until_blocked(client)
    async for second in running(api_settings):
        async with client_for(second) as client:
            answer = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert answer.status_code == 429


async def test_guessing_is_limited_without_redis(
    no_redis_settings: Settings, sessionmaker: SessionMaker
) -> None:
    code = await bot_code(sessionmaker)
    async for app in running(no_redis_settings):
        async with client_for(app) as client:
            await guess_until_blocked(client)
            answer = await client.post("/v1/pairings/redeem", json={"code": code, **BERLIN})
    assert answer.status_code == 429


@pytest.mark.parametrize("name", ["nul\x00byte", "lone\ud800surrogate", "x" * 201])
async def test_hostile_device_names_are_422(client: httpx.AsyncClient, name: str) -> None:
    body = json.dumps({"device_name": name, "timezone": "UTC"})  # ASCII-escaped, as sent
    answer = await client.post(
        "/v1/pairings", content=body, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json()["detail"]


async def test_pairings_are_purged_an_hour_after_they_expire_collected_or_not(
    client: httpx.AsyncClient, sessionmaker: SessionMaker
) -> None:
    user = await make_user(sessionmaker, 77)
    async with transaction(sessionmaker) as db:
        pending, _ = await create_pairing(db, device_name="never bound")
        bound, _ = await create_pairing(db, device_name="bound, never collected", user=user)
        fresh, _ = await create_pairing(db, device_name="still usable")
    old = [str(pending.id), str(bound.id)]
    async with transaction(sessionmaker) as db:
        await db.execute(
            update(Pairing)
            .where(Pairing.id.in_([pending.id, bound.id]))
            .values(expires_at=ago(minutes=61))
        )
    async with transaction(sessionmaker) as db:
        assert await purge_expired(db) == 2
    for pairing_id in old:
        assert (await client.get(f"/v1/pairings/{pairing_id}")).status_code == 404
    assert (await client.get(f"/v1/pairings/{fresh.id}")).json() == {"status": "pending"}
