"""Submit-to-result latency of the analysis, through real Redis, arq and the fake Bot API.

    .venv/bin/python -m bench.analysis [--postgres-url URL] [--redis-url URL] [--bulk N]

One worker (`jobs.worker.build_worker`, the local analyser) runs as its own process,
`bench.analysis_worker`. A submit is what the bot's Submit does: the review and its
pending analysis committed, the job enqueued; the clock runs from the enqueue to the
moment the fake Bot API applies the edit. The baseline is a no-op arq job's round trip
on the same worker, in the same run. Targets: p50 < 100 ms and p99 < 300 ms at 50
concurrent, ≥ 50 analyses/s, worker RSS < 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis
from arq.jobs import Job
from redis.asyncio import Redis

from bench.analysis_worker import NOOP
from bench.stats import private_postgres
from core.db.migrate import upgrade
from core.infra.queue import enqueue
from core.infra.resources import Resources
from core.settings import Settings, load_settings
from jobs.worker import redis_settings
from tests.analysis.conftest import Harness, Submission
from tests.fakes.telegram import FakeTelegram, RateLimits
from tests.fakes.telegram_models import ApiCall

HOSTS = ["github.com", "docs.python.org", "youtube.com", "github.com"] * 10
EVENTS = tuple((host, i * 1.5, i * 1.5 + 1.4) for i, host in enumerate(HOSTS))  # 40 events
Timings = tuple[list[float], float]  # latencies, and the wall time for all of them


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when each chat's message was edited."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.edited: dict[int, float] = {}
        self.edit = asyncio.Event()

    def record(self, call: ApiCall) -> None:
        super().record(call)
        if call.method == "editMessageText" and call.ok:
            self.edited[int(call.params["chat_id"])] = call.at
            self.edit.set()


async def analyses(harness: Harness, fake: TimedTelegram, batch: list[Submission]) -> Timings:
    """Enqueue these submitted reviews at once and wait until every message is edited."""
    started = {}
    for submission in batch:
        started[submission.message.chat.id] = time.time()
        await harness.enqueue(submission.review_id)
    async with asyncio.timeout(120):
        while not all(chat in fake.edited for chat in started):
            fake.edit.clear()
            await fake.edit.wait()
    latencies = [fake.edited[chat] - start for chat, start in started.items()]
    return latencies, max(fake.edited[chat] for chat in started) - min(started.values())


async def noops(pool: ArqRedis, count: int) -> Timings:
    async def one() -> float:
        start = time.time()
        job_id = f"noop:{uuid.uuid4().hex}"
        await enqueue(pool, NOOP, job_id=job_id)  # as the product enqueues: with a wake-up
        await Job(job_id, pool).result(poll_delay=0.002)
        return time.time() - start

    first = time.time()
    latencies = await asyncio.gather(*(one() for _ in range(count)))
    return list(latencies), time.time() - first


async def idle_commands(pool: ArqRedis, seconds: float = 3.0) -> float:
    """Redis commands per second while nothing is queued: the idle worker's polling."""
    await asyncio.sleep(0.5)  # the last analysis's bookkeeping follows its edit
    before = (await pool.info("stats"))["total_commands_processed"]
    await asyncio.sleep(seconds)
    after = (await pool.info("stats"))["total_commands_processed"]
    return (after - before - 1) / seconds  # less our own first INFO


def report(name: str, timings: Timings, *, rate: bool = False) -> dict[str, float]:
    ordered = sorted(timings[0])
    p50, p99 = (1000 * ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
                for q in (0.5, 0.99))  # fmt: skip
    per_second = len(ordered) / timings[1]
    line = f"{name:<34} n={len(ordered):<4} p50={p50:7.1f} ms  p99={p99:7.1f} ms"
    sys.stdout.write(line + (f"  {per_second:7.1f}/s\n" if rate else "\n"))
    return {"p50": p50, "p99": p99, "rate": per_second}


def proc_figures(pid: int) -> tuple[float, float]:
    """A process's peak resident memory in MB, and the CPU seconds it has used."""
    status = Path(f"/proc/{pid}/status").read_text().split("VmHWM:")[1].split()[0]
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(status) / 1024, (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


async def run(settings: Settings, fake: TimedTelegram, worker_pid: int, bulk: int) -> None:
    harness = Harness(fake, settings, Resources.open(settings))
    pool = await create_pool(redis_settings(settings))

    async def submitted(count: int) -> list[Submission]:
        return [await harness.submit(events=EVENTS, queue=False) for _ in range(count)]

    try:
        await asyncio.wait_for(noops(pool, 20), 30)  # warm-up; the worker is up after it
        await analyses(harness, fake, await submitted(20))
        idle = await idle_commands(pool)
        rows = {}
        for concurrency, rounds in ((1, 50), (50, 4)):
            batches = [await submitted(concurrency) for _ in range(rounds)]
            base = [await noops(pool, concurrency) for _ in range(rounds)]
            timed = [await analyses(harness, fake, batch) for batch in batches]
            rows[concurrency] = (
                report(f"no-op job, {concurrency} concurrent", _merge(base)),
                report(f"analysis, {concurrency} concurrent", _merge(timed)),
            )
        batch = await submitted(bulk)
        base = report(f"no-op throughput, {bulk} queued", await noops(pool, bulk), rate=True)
        cpu, own = proc_figures(worker_pid)[1], proc_figures(os.getpid())[1]
        rate = report(f"analyses, {bulk} queued", await analyses(harness, fake, batch), rate=True)
        peak, cpu_after = proc_figures(worker_pid)
        own = proc_figures(os.getpid())[1] - own
    finally:
        await pool.aclose()
        await harness.close()
    one, fifty = rows[1], rows[50]
    sys.stdout.write(
        f"\nanalysis/no-op p50: {one[1]['p50'] / one[0]['p50']:.1f}x at 1, "
        f"{fifty[1]['p50'] / fifty[0]['p50']:.1f}x at 50; throughput "
        f"{rate['rate'] / base['rate']:.2f}x of no-op; worker CPU "
        f"{1000 * (cpu_after - cpu) / bulk:.1f} ms per analysis (this driver and fake Bot API: "
        f"{1000 * own / bulk:.1f} ms); worker peak RSS {peak:.0f} MB; idle worker "
        f"{idle:.1f} Redis commands/s\n"
        f"targets: p50@50 {_mark(fifty[1]['p50'], 100)}, p99@50 {_mark(fifty[1]['p99'], 300)}, "
        f"analyses/s {rate['rate']:.0f} {'ok' if rate['rate'] >= 50 else 'MISSED'} (≥ 50), "
        f"RSS {_mark(peak, 250, 'MB')}\n"
    )


def _merge(rounds: list[Timings]) -> Timings:
    return [t for latencies, _ in rounds for t in latencies], sum(wall for _, wall in rounds)


def _mark(value: float, limit: float, unit: str = "ms") -> str:
    return f"{value:.0f} {unit} {'ok' if value < limit else 'MISSED'} (< {limit:g})"


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="qtime-bench-"))
    if args.postgres_url is None:
        await bench(args, home, f"sqlite+aiosqlite:///{home / 'qtime.db'}")
        return
    async with private_postgres(args.postgres_url) as database_url:
        await bench(args, home, database_url)


async def bench(args: argparse.Namespace, home: Path, database_url: str) -> None:
    await upgrade(database_url)
    async with TimedTelegram(limits=RateLimits(None, None)) as fake:
        env = {"QTIME_DATA_DIR": str(home), "QTIME_DATABASE__URL": database_url,
               "QTIME_REDIS__URL": args.redis_url, "QTIME_TELEGRAM__TOKEN": fake.token,
               "QTIME_TELEGRAM__API_URL": fake.url}  # fmt: skip
        settings = load_settings(_env_file=None, data_dir=home, database={"url": database_url},
                                 redis={"url": args.redis_url},
                                 telegram={"token": fake.token, "api_url": fake.url})  # fmt: skip
        redis = Redis.from_url(args.redis_url)
        await redis.flushdb()
        await redis.aclose()
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.analysis_worker", env={**os.environ, **env}
        )
        try:
            await run(settings, fake, worker.pid, args.bulk)
        finally:
            worker.terminate()
            await worker.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Analysis latency and throughput")
    parser.add_argument(
        "--postgres-url", help="run on a new database on this PostgreSQL server, not SQLite"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="flushed first")
    parser.add_argument("--bulk", type=int, default=500, help="analyses queued at once")
    asyncio.run(main(parser.parse_args()))
