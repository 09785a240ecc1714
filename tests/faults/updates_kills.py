"""Real `qtime bot` / `qtime api` processes stopped again and again while they work through
a `updates_harness.Script`: the kill runs of tests/faults/test_updates_*.py and
bench/faults_updates.py."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.processes import Qtime, Running, free_port
from tests.fakes.telegram import FakeTelegram
from tests.faults.updates_harness import Script, done, replies_sent

WEBHOOK_SECRET = "faults-webhook-secret_0123"


@dataclass
class Setup:
    """`qtime bot` or `qtime api` (webhook mode) on a database and a Redis of the test's own."""

    fake: FakeTelegram
    home: Path
    database_url: str
    redis_url: str
    webhook: bool = False
    port: int = field(default_factory=free_port)

    def qtime(self) -> Qtime:
        env = {
            "QTIME_DATA_DIR": str(self.home / "data"),
            "QTIME_DATABASE__URL": self.database_url,
            "QTIME_REDIS__URL": self.redis_url,
            "QTIME_TELEGRAM__TOKEN": self.fake.token,
            "QTIME_TELEGRAM__API_URL": self.fake.url,
            "QTIME_LOG_LEVEL": "INFO",
        }
        if self.webhook:
            env |= {
                "QTIME_TELEGRAM__MODE": "webhook",
                "QTIME_TELEGRAM__WEBHOOK_SECRET": WEBHOOK_SECRET,
                "QTIME_API__PORT": str(self.port),
                "QTIME_API__PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            }
        self.home.mkdir(parents=True, exist_ok=True)
        return Qtime(env=env, cwd=self.home)

    @property
    def command(self) -> str:
        return "api" if self.webhook else "bot"


@dataclass
class Run:
    """What a kill run did: when it stopped the process, how long each restart took to
    answer again, and each process's log."""

    kills: list[float] = field(default_factory=list)
    recoveries: list[float] = field(default_factory=list)  # a kill -> the next reply
    logs: list[str] = field(default_factory=list)


async def kill_run(
    setup: Setup, script: Script, kills: int, sig: signal.Signals, seed: int, timeout: float = 150
) -> Run:
    """Start the process, let it answer, stop it with `sig` a random moment later; `kills`
    times, then once more until every update is answered."""
    rng = random.Random(seed)
    run = Run()
    qtime = setup.qtime()
    deadline = time.monotonic() + timeout
    for turn in range(kills + 1):
        async with qtime.serving(setup.command) as running:
            answering = _answering(setup.fake, script, replies_sent(setup.fake))
            await _until(answering, running, deadline)
            if run.kills:
                run.recoveries.append(_first_reply_after(setup.fake, run.kills[-1]))
            if turn == kills:
                await _until(lambda: done(setup.fake, script), running, deadline)
                await running.stop()
            else:
                await asyncio.sleep(rng.uniform(0.0, 0.15))
                run.kills.append(time.time())
                await _stop(running, sig)
        run.logs.append(running.output())
    return run


def _answering(fake: FakeTelegram, script: Script, sent: int) -> Callable[[], bool]:
    """True once a reply came after the first `sent` (or there is nothing left to answer)."""
    return lambda: replies_sent(fake) > sent or done(fake, script)


async def _stop(running: Running, sig: signal.Signals) -> None:
    if sig is signal.SIGTERM:
        await running.stop()
    else:
        running.process.send_signal(sig)
        await running.process.wait()


async def _until(condition: Callable[[], bool], running: Running, deadline: float) -> None:
    while not condition():
        if running.process.returncode is not None:
            raise AssertionError(f"exited with {running.process.returncode}:\n{running.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no progress before the deadline:\n{running.output()}")
        await asyncio.sleep(0.01)


def _first_reply_after(fake: FakeTelegram, moment: float) -> float:
    after = [call.at for call in fake.calls_of("sendMessage") if call.ok and call.at > moment]
    return min(after) - moment if after else float("nan")


@contextlib.contextmanager
def explain(run: Run) -> Iterator[None]:
    """On a failed assertion, show the end of the last process's log."""
    try:
        yield
    except AssertionError as exc:
        tail = run.logs[-1][-4000:] if run.logs else ""
        raise AssertionError(f"{exc}\n--- last process log ---\n{tail}") from None
