"""Rate limits of a real `qtime api`, attacked over TCP: on the embedded Redis (6.2) and on
Redis 7, by parallel guessers, by forged forwarded headers, and per device token."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from core.settings import APISettings
from tests.conftest import REDIS_URL
from tests.security.conftest import ApiProcess, linked_device
from tracker_api.context import PAIRINGS, REDEEM_FAILURES, STREAMS

EVENT_BATCHES = APISettings().event_batches_per_minute  # the default a device gets
WRONG = {"code": "ZZZZ-ZZZZ", "device_name": "Guesser"}


async def redis_version(api: ApiProcess, url: str | None) -> str:
    socket = api.data_dir.resolve() / "redis" / "redis.sock"
    client = Redis.from_url(url or f"unix://{socket}")
    try:
        return str((await client.info("server"))["redis_version"])
    finally:
        await client.aclose()


@pytest.mark.parametrize("server", ["embedded", "redis7"])
async def test_sixty_parallel_wrong_codes_get_no_more_than_the_limit(
    server: str, api_in: Callable[..., Any], redis: Redis
) -> None:
    url = REDIS_URL if server == "redis7" else None
    async with api_in(**({"QTIME_REDIS__URL": url} if url else {})) as api:
        version = await redis_version(api, url)
        assert version.startswith("6.2") if server == "embedded" else int(version[0]) >= 7
        async with httpx.AsyncClient(base_url=api.url) as client:
            tries = [client.post("/v1/pairings/redeem", json=WRONG) for _ in range(60)]
            answers = await asyncio.gather(*tries)
            later = await client.post("/v1/pairings/redeem", json=WRONG)
    assert Counter(a.status_code for a in answers) == {404: REDEEM_FAILURES, 429: 50}
    assert later.status_code == 429 and int(later.headers["Retry-After"]) > 800


async def test_forged_forwarded_headers_do_not_buy_more_guesses(
    api_in: Callable[..., Any],
) -> None:
    async with api_in() as api, httpx.AsyncClient(base_url=api.url) as client:
        statuses = []
        for n in range(REDEEM_FAILURES + 5):
            forged = f"198.51.100.{n}"
            headers = {"X-Forwarded-For": forged, "Fly-Client-IP": forged, "X-Real-IP": forged}
            answer = await client.post("/v1/pairings/redeem", json=WRONG, headers=headers)
            statuses.append(answer.status_code)
    assert statuses == [404] * REDEEM_FAILURES + [429] * 5


async def test_a_trusted_proxy_names_each_client(api_in: Callable[..., Any]) -> None:
    proxy = {
        "QTIME_API__TRUSTED_PROXIES": "127.0.0.1",
        "QTIME_API__CLIENT_IP_HEADER": "Fly-Client-IP",
    }
    async with api_in(**proxy) as api, httpx.AsyncClient(base_url=api.url) as client:

        async def guess(client_ip: str, **extra: str) -> int:
            headers = {"Fly-Client-IP": client_ip, **extra}
            answer = await client.post("/v1/pairings/redeem", json=WRONG, headers=headers)
            return answer.status_code

        ann = [await guess("198.51.100.1") for _ in range(REDEEM_FAILURES + 1)]
        spoofing = await guess("198.51.100.1", **{"X-Forwarded-For": "203.0.113.9"})
        bob = await guess("198.51.100.2")
    assert ann == [404] * REDEEM_FAILURES + [429]
    assert spoofing == 429  # only the configured header counts
    assert bob == 404


async def test_new_pairings_are_limited_per_address(api_in: Callable[..., Any]) -> None:
    async with api_in() as api, httpx.AsyncClient(base_url=api.url) as client:
        tries = [client.post("/v1/pairings", json={"device_name": "Flood"}) for _ in range(30)]
        answers = await asyncio.gather(*tries)
    assert Counter(a.status_code for a in answers) == {201: PAIRINGS, 429: 30 - PAIRINGS}


async def test_a_token_sends_a_bounded_number_of_batches_and_holds_few_streams(
    api_in: Callable[..., Any],
) -> None:
    async with (
        api_in() as api,
        linked_device(api) as ann,
        httpx.AsyncClient(base_url=api.url, headers=ann.auth) as client,
    ):
        batches = [client.post("/v1/events", json={"events": []}) for _ in range(130)]
        answers = await asyncio.gather(*batches)
        assert Counter(a.status_code for a in answers) == {202: EVENT_BATCHES, 429: 10}
        async with contextlib.AsyncExitStack() as streams:
            for _ in range(STREAMS):
                opened = await streams.enter_async_context(client.stream("GET", "/v1/stream"))
                assert opened.status_code == 200
            assert (await client.get("/v1/stream")).status_code == 429
        # closed streams give their places back
        async with client.stream("GET", "/v1/stream") as again:
            assert again.status_code == 200
