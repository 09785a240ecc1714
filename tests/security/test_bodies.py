"""Every route refuses an oversized body before reading it, and the API's memory stays flat
under 300 MiB sent by someone with no token; nested-JSON bombs are a 4xx, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.security.conftest import ApiProcess, linked_device
from tests.security.oversize import PeakMemory, send_huge

HUGE = 300 * 1024 * 1024
FLAT = 40 * 1024 * 1024  # what the API may grow by while refusing bodies
OUTSIDE_SCHEMA = [("POST", "/telegram/webhook"), ("GET", "/metrics"), ("GET", "/healthz")]


async def routes(api: ApiProcess) -> tuple[list[tuple[str, str]], set[tuple[str, str]]]:
    """Every (method, path) the API serves, and those whose body it reads."""
    async with httpx.AsyncClient() as client:
        document = (await client.get(f"{api.url}/openapi.json")).json()
    every, with_body = list(OUTSIDE_SCHEMA), {("POST", "/telegram/webhook")}
    for template, operations in document["paths"].items():
        path = template.replace("{pairing_id}", str(uuid.uuid4()))
        for method, operation in operations.items():
            every.append((method.upper(), path))
            if "requestBody" in operation:
                with_body.add((method.upper(), path))
    return every, with_body


async def test_no_route_reads_a_huge_body_and_memory_stays_flat(
    api_in: Callable[..., Any],
) -> None:
    async with api_in() as api:
        every, with_body = await routes(api)
        assert len(every) >= 12 and ("POST", "/v1/pairings/redeem") in with_body
        baseline = api.rss()
        refused: dict[tuple[str, str, bool], int] = {}
        async with PeakMemory(api.rss) as memory:
            for method, path in every:
                for declared in (True, False):
                    headers = {"Content-Type": "application/json"}
                    answer = await send_huge(
                        api.url, method, path, HUGE, declared=declared, headers=headers
                    )
                    refused[(method, path, declared)] = answer.status
                    assert answer.status < 500, (method, path, declared, answer)
                    assert answer.sent < HUGE // 10, (method, path, declared, answer)
        announced = {key: status for key, status in refused.items() if key[2]}
        assert not {key: status for key, status in announced.items() if status != 413}
        streamed = {k: s for k, s in refused.items() if not k[2] and k[:2] in with_body}
        # Here the webhook answers 404 first (the bot polls), and events without a token 401.
        expected = {"/telegram/webhook": 404, "/v1/events": 401}
        assert not {k: s for k, s in streamed.items() if s != expected.get(k[1], 413)}
        assert memory.peak - baseline < FLAT, (baseline, memory.peak)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{api.url}/healthz")).status_code == 200


def nested(depth: int) -> bytes:
    return b'{"events":' + b"[" * depth + b"]" * depth + b"}"


async def test_nested_json_bombs_are_refused_as_bad_input(api_in: Callable[..., Any]) -> None:
    async with (
        api_in() as api,
        linked_device(api) as ann,
        httpx.AsyncClient(base_url=api.url) as client,
    ):
        json_body = {"Content-Type": "application/json"}
        bombs = [("/v1/pairings", 8000), ("/v1/pairings/redeem", 8000), ("/v1/sessions", 8000)]
        for path, depth in [*bombs, ("/v1/events", 500_000)]:
            answer = await client.post(path, content=nested(depth), headers=json_body | ann.auth)
            assert answer.status_code in (400, 422), (path, answer.text)
            assert "detail" in answer.json()
        events = await client.post(
            "/v1/events",
            content=nested(200_000),
            headers=json_body | {"Authorization": "Bearer unknown"},
        )
        assert events.status_code == 401  # an unknown token learns nothing about its body
        assert (await client.get("/healthz")).status_code == 200
