"""Tracking accuracy of the extension in real Chromium through a scripted day with known truth.

    .venv/bin/python -m bench.tracking [--baseline-rev REV] [--idle-seconds 120]

Two headless Chromiums run the same script side by side, each against its own `qtime api`
process and SQLite file: one with this extension, one with the extension at REV (the
baseline, measured in the same run). Time runs on real 30 s alarms, no tick hooks: tab
switches every 6 s before and during a session started from Telegram (written to the
database as /focus does, learned at the next poll); a private window for 4 s (headless
Chromium sends no focus-back); the service worker stopped; a break of --idle-seconds that
Chrome reports after its 60 s threshold (played through the worker's idle handler, as
headless Chromium never idles); the API down for 60 s while browsing goes on; /done.
Prints per host the lived and recorded seconds in the session and the error; seconds
lost, extra and duplicated (overlapping rows); the backlog's drain time after the API's
return. Targets: total error < 2%, 0 s duplicated, backlog drained within 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.accounts.pairing import create_pairing, redeem_code
from core.accounts.users import upsert_telegram_user
from core.db.engine import create_engine, create_sessionmaker, transaction
from core.db.migrate import upgrade
from core.db.models import ActivityEvent
from core.sessions.lifecycle import end_session, start_session
from tests.api.live import free_port
from tests.deploy.processes import Qtime, Running, wait_for_http
from tests.e2e.browser import EXTENSION, Browser, launched, serving_sites
from tests.e2e.helpers import Lived, Tabs, recorded_per_host, stored

BASELINE_REV = "27db7f9"  # the extension before the local timeline and focus reading
SWITCH = 6.0
HOSTS = ["a", "b", "c"]


@dataclass
class Api:
    """`qtime api` on a fixed port, stopped (SIGTERM) and started again as a deploy would."""

    home: Path
    port: int = field(default_factory=free_port)
    serving: contextlib.AbstractAsyncContextManager[Running] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        return f"sqlite+aiosqlite:///{self.home / 'qtime.db'}"

    async def start(self) -> None:
        env = {"QTIME_DATA_DIR": str(self.home), "QTIME_DATABASE__URL": self.database,
               "QTIME_API__PORT": str(self.port), "QTIME_LOG_LEVEL": "WARNING"}  # fmt: skip
        self.serving = Qtime(env, self.home).serving("api")
        await wait_for_http(await self.serving.__aenter__(), self.url + "/healthz")

    async def stop(self) -> None:
        if self.serving is not None:
            await self.serving.__aexit__(None, None, None)
            self.serving = None


@dataclass
class Run:
    """One browser, its API and database, and what its user lived."""

    browser: Browser
    api: Api
    tabs: Tabs
    lived: Lived
    user_id: int = 0
    drain_seconds: float = float("nan")

    async def pair(self) -> None:
        """A linked browser: the token written where the options page would put it."""
        await upgrade(self.api.database)
        engine = create_engine(self.api.database)
        async with transaction(create_sessionmaker(engine)) as db:
            user, _ = await upsert_telegram_user(db, telegram_id=7, chat_id=7)
            _, code = await create_pairing(db, user=user)
            _, token = await redeem_code(db, code, device_name="bench")
        await engine.dispose()
        self.user_id = user.id
        values = {"serverUrl": self.api.url, "tokenServerUrl": self.api.url, "token": token}
        await self.browser.call(f"chrome.storage.local.set({values!r}).then(() => true)")


async def browse(run: Run, seconds: float, start: int = 0) -> None:
    """Switches tabs every SWITCH seconds for `seconds`, round the hosts."""
    for step in range(round(seconds / SWITCH)):
        await run.lived.show(HOSTS[(start + step) % len(HOSTS)])
        await asyncio.sleep(SWITCH)


async def script(run: Run, idle_seconds: float) -> tuple[float, float]:
    """The day; returns the session's start and end (epoch seconds)."""
    await browse(run, 12)
    engine = create_engine(run.api.database)
    sessions = create_sessionmaker(engine)
    async with transaction(sessions) as db:  # /focus in Telegram, mid-browsing
        session = await start_session(db, run.user_id, minutes=120, goal="bench")
    await browse(run, 36, start=2)
    await after_next_alarm(run.browser)
    private = await run.browser.open_incognito(run.tabs.url("secret"))
    run.lived.mark(None)
    await asyncio.sleep(4)
    await run.browser.close_target(private)
    run.lived.mark(f"{HOSTS[1]}.test")  # back on the tab shown last
    await browse(run, 18)
    await run.browser.stop_worker()
    await browse(run, 12, start=1)
    run.lived.mark(None)  # the user walks away; Chrome reports idle 60 s later
    await asyncio.sleep(60)
    await run.browser.call("__qtimeTest.setIdle('idle')")
    await asyncio.sleep(idle_seconds - 60)
    await run.browser.call("__qtimeTest.setIdle('active')")
    await browse(run, 12, start=2)
    await run.api.stop()
    await browse(run, 60)
    await run.api.start()
    back = time.monotonic()
    await browse(run, 6, start=1)
    while (await run.browser.status())["queue"]["length"] and time.monotonic() - back < 120:
        await asyncio.sleep(0.5)
    run.drain_seconds = time.monotonic() - back
    async with transaction(sessions) as db:  # /done
        ended = await end_session(db, run.user_id)
    await asyncio.sleep(35)  # the next poll closes the last span, the flush sends it
    await engine.dispose()
    assert ended.ended_at is not None
    return session.started_at.timestamp(), ended.ended_at.timestamp()


@dataclass
class Result:
    truth: dict[str, float]  # seconds per host the user lived inside the session
    recorded: dict[str, float]  # seconds per host stored by the API
    duplicated: float  # seconds stored twice (overlapping rows)
    drain: float  # seconds from the API's return to an empty queue

    @property
    def error(self) -> float:
        truth = sum(self.truth.values())
        return (sum(self.recorded.values()) - truth) / truth

    def lines(self, label: str) -> list[str]:
        out = [f"{label:<8} host        truth s  recorded s   error"]
        for host in sorted(set(self.truth) | set(self.recorded)):
            t, r = self.truth.get(host, 0.0), self.recorded.get(host, 0.0)
            out.append(
                f"{label:<8} {host:<10} {t:8.1f} {r:11.1f} {100 * (r - t) / (t or r):+7.2f}%"
            )
        t_all, r_all = sum(self.truth.values()), sum(self.recorded.values())
        out.append(f"{label:<8} total      {t_all:8.1f} {r_all:11.1f} {100 * self.error:+7.2f}%")
        lost = sum(max(0.0, t - self.recorded.get(h, 0.0)) for h, t in self.truth.items())
        extra = sum(max(0.0, r - self.truth.get(h, 0.0)) for h, r in self.recorded.items())
        out.append(f"{label:<8} lost {lost:.1f} s, extra {extra:.1f} s, "
                   f"duplicated {self.duplicated:.1f} s, backlog drained {self.drain:.1f} s "
                   "after the API came back")  # fmt: skip
        return out


async def after_next_alarm(browser: Browser) -> None:
    """Headless Chromium reports the normal window as focused even while a private window
    is in front, so an alarm's focus reading inside the private window's 4 s would count
    them; a real Chrome reports no focus. The private window opens just after an alarm."""
    due = await browser.call("chrome.alarms.get('qtime-tick').then(a => a.scheduledTime)")
    await asyncio.sleep(max(0.0, due / 1000 - time.time()) + 1.0)


def overlap_seconds(events: list[ActivityEvent]) -> float:
    total, reach = 0.0, None
    for event in sorted(events, key=lambda e: e.started_at):
        if reach is not None and event.started_at < reach:
            total += (min(reach, event.ended_at) - event.started_at).total_seconds()
        reach = event.ended_at if reach is None else max(reach, event.ended_at)
    return total


async def measure(run: Run, idle_seconds: float) -> Result:
    start, end = await script(run, idle_seconds)
    truth = run.lived.per_host(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC))
    engine = create_engine(run.api.database)
    events = await stored(create_sessionmaker(engine))
    await engine.dispose()
    return Result(truth, recorded_per_host(events), overlap_seconds(events), run.drain_seconds)


@contextlib.asynccontextmanager
async def prepared(extension: Path, home: Path, url: Callable[[str], str]) -> AsyncIterator[Run]:
    home.mkdir(parents=True)
    api = Api(home)
    await api.start()
    try:
        async with launched(home / "profile", extension) as browser:
            tabs = Tabs(browser, url)
            run = Run(browser, api, tabs, Lived(tabs))
            await run.pair()
            await tabs.open(*HOSTS)
            yield run
    finally:
        await api.stop()


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="qtime-bench-tracking-"))
    baseline_dir = home / "baseline-extension"
    baseline_dir.mkdir()
    archive = subprocess.run(["git", "archive", args.baseline_rev, "extension"], check=True,
                             capture_output=True, cwd=EXTENSION.parent).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(baseline_dir)], input=archive, check=True)
    async with (
        serving_sites() as url,
        prepared(EXTENSION, home / "qtime", url) as ours,
        prepared(baseline_dir / "extension", home / "baseline", url) as base,
    ):
        mine, theirs = await asyncio.gather(
            measure(ours, args.idle_seconds), measure(base, args.idle_seconds)
        )
    lines = [*mine.lines("qtime"), *theirs.lines("baseline")]
    err, base_err = abs(mine.error), abs(theirs.error)
    lines.append(f"total error {100 * err:.2f}% vs baseline {100 * base_err:.2f}% "
                 f"({base_err / err if err else float('inf'):.1f}x smaller)")  # fmt: skip
    lines.append(f"target: total error < 2%: {'ok' if err < 0.02 else 'MISSED'}; "
                 f"duplicated 0 s: {'ok' if mine.duplicated == 0 else 'MISSED'}; "
                 f"drained within 30 s: {'ok' if mine.drain <= 30 else 'MISSED'}")  # fmt: skip
    print("\n".join(lines))  # noqa: T201 - a bench prints its figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--baseline-rev", default="27db7f9", help="git revision of the baseline extension"
    )
    parser.add_argument("--idle-seconds", type=float, default=120.0)
    asyncio.run(main(parser.parse_args()))
