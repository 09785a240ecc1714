"""Ingest throughput and latency of POST /v1/events against a bare insert endpoint.

    .venv/bin/python -m bench.ingest [--postgres-url URL | --sqlite-only] [--rounds N]

Each server is a real uvicorn process on loopback (bench/ingest_apps.py): the product
API, and the baseline measured in the same run (no auth, no validation, one
`INSERT … ON CONFLICT DO NOTHING` per request). Both run side by side and short rounds
alternate between them, so whatever else loads the machine loads both alike. Batches of
100 new events, from 1 and from 8 concurrent clients, on SQLite and on PostgreSQL.
Prints events/s, p50 and p99, the ratio to the baseline and the API's peak RSS.
Targets: throughput >= 1.0x baseline (aim 1.5x), p99 < 100 ms at 8 clients on SQLite,
RSS < 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bench.ingest_load import Measured, bodies, drive, seed
from bench.stats import percentile, private_postgres, rss_mb
from core.db.migrate import upgrade
from tests.api.live import free_port


@contextlib.asynccontextmanager
async def serving(factory: str, env: dict[str, str]) -> AsyncIterator[tuple[str, int]]:
    """A uvicorn process serving `bench.ingest_apps:<factory>`: (base URL, pid)."""
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", f"bench.ingest_apps:{factory}",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--no-access-log", env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(url)
        yield url, server.pid
    finally:
        if server.returncode is None:
            server.terminate()
        await server.wait()


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):  # a minute: imports are slow on a busy machine
            try:
                async with http.get(url + "/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


async def bench_backend(label: str, url: str, args: argparse.Namespace, home: Path) -> list[str]:
    """Both servers up side by side; rounds alternate between them, so load from anything
    else on the machine falls on both alike."""
    await upgrade(url)
    # One token drives the load of many browsers, so the per-device batch limit is lifted.
    env = {**os.environ, **await seed(url), "QTIME_DATABASE__URL": url, "QTIME_DATA_DIR": str(home),
           "QTIME_REDIS__URL": args.redis_url, "QTIME_LOG_LEVEL": "WARNING",
           "QTIME_API__EVENT_BATCHES_PER_MINUTE": "1000000000"}  # fmt: skip
    env.pop("QTIME_TELEGRAM__TOKEN", None)
    token = env["BENCH_TOKEN"]
    lines = []
    async with (
        serving("baseline", env) as (base_url, base_pid),
        serving("product", env) as (real_url, real_pid),
    ):
        for server in (base_url, real_url):
            await drive(server, token, bodies(20), 4)  # warm-up
        for clients in (1, 8):
            base, real = Measured(), Measured()
            for _ in range(args.rounds):
                base.add(await drive(base_url, token, bodies(args.batches * clients), clients))
                real.add(await drive(real_url, token, bodies(args.batches * clients), clients))
            name = f"{label:<8} {clients} client{'s' if clients > 1 else ' '}"
            lines += [base.line(f"{name} baseline "), real.line(f"{name} qtime API")]
            lines.append(f"{name} ratio     {real.rate / base.rate:8.2f}x baseline throughput")
            if label == "sqlite" and clients == 8:
                p99 = percentile(real.latencies, 0.99) * 1000
                lines.append(f"target: p99 at 8 clients on SQLite {p99:.0f} ms < 100 ms: "
                             f"{'ok' if p99 < 100 else 'MISSED'}")  # fmt: skip
        base_rss, real_rss = rss_mb(base_pid)[1], rss_mb(real_pid)[1]
    lines.append(f"{label:<8} peak RSS  baseline {base_rss:.0f} MB, qtime API {real_rss:.0f} MB")
    lines.append(
        f"target: API RSS {real_rss:.0f} MB < 150 MB: {'ok' if real_rss < 150 else 'MISSED'}"
    )
    return lines


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="qtime-bench-ingest-"))
    lines = await bench_backend("sqlite", f"sqlite+aiosqlite:///{home / 'qtime.db'}", args, home)
    if not args.sqlite_only:
        async with private_postgres(args.postgres_url) as url:
            lines += await bench_backend("postgres", url, args, home)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--batches", type=int, default=8, help="batches per client per round")
    parser.add_argument("--rounds", type=int, default=15, help="alternating rounds per server")
    asyncio.run(main(parser.parse_args()))
