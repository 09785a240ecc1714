"""The weekly fan-out against Telegram's limits: many users, two workers, one shared limiter.

    .venv/bin/python -m bench.fanout [--users 10000] [--charts 1.0] [--inject-429 10]

The fake Bot API enforces 30 messages/s per bot and 1/s per chat (burst 5), answering
429 with retry_after like Telegram; `--inject-429` adds that many unprovoked ones. Two
`qtime` workers run as their own processes; the weekly tick runs twice, as a retried
cron would. Printed: sustained msg/s, lost and duplicate reports, 429s. Baseline in the
same run: bare sends through the same limiter from one process (no database, no queue).
Targets: ≥ 28 msg/s (93% of 30), 0 lost, 0 duplicates, 429s under 1% of sends.
10,000 users at 30/s take about six minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram.methods import SendMessage
from redis.asyncio import Redis
from sqlalchemy import func, insert, select

from bot.factory import create_bot
from bot.notify import limit_sends
from core.db.migrate import upgrade
from core.db.models import ActivityEvent, FocusSession, ReportStatus, Review, User, WeeklyReport
from core.infra.resources import Resources
from core.settings import Settings, load_settings
from jobs.reports import weekly_report_tick
from jobs.worker import build_worker
from tests.fakes.telegram import FakeTelegram

FIRST_CHAT = 700_000_001
BASELINE_CHAT = 600_000_001
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)
SEND_METHODS = ("sendMessage", "sendPhoto")
STALL_SECONDS = 60.0


async def serve_worker() -> None:
    """A worker process: the product's worker, its crons left to the bench."""
    await build_worker(load_settings(), cron_jobs=[]).main()


async def seed(resources: Resources, users: int, charts: float) -> None:
    """Users owed last week's report now (report due Monday 00:00 UTC, all week long)."""
    chats = range(FIRST_CHAT, FIRST_CHAT + users)
    rows = [
        {"telegram_id": c, "chat_id": c, "report_hour": 0, "created_at": LONG_AGO} for c in chats
    ]
    last_monday = datetime.now(UTC).date() - timedelta(days=datetime.now(UTC).weekday() + 7)
    start = datetime.combine(last_monday, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    async with resources.sessionmaker() as db:
        ids = list((await db.execute(insert(User).returning(User.id), rows)).scalars())
        with_chart = ids[: round(users * charts)]
        if not with_chart:
            await db.commit()
            return
        sessions = [
            {"user_id": u, "goal": "chapter two", "started_at": start, "status": "reviewed"}
            | {
                "planned_end": start + timedelta(minutes=50),
                "ended_at": start + timedelta(minutes=50),
            }
            for u in with_chart
        ]
        session_ids = await db.execute(insert(FocusSession).returning(FocusSession.id), sessions)
        pairs = list(zip(with_chart, session_ids.scalars(), strict=True))
        events = [
            {"id": uuid.uuid4(), "user_id": u, "session_id": s, "host": host}
            | {
                "started_at": start + timedelta(minutes=m),
                "ended_at": start + timedelta(minutes=m + 10),
            }
            for u, s in pairs
            for m, host in ((0, "github.com"), (10, "youtube.com"), (20, "github.com"))
        ]
        await db.execute(insert(ActivityEvent), events)
        reviews = [
            {"session_id": s, "user_id": u, "goal_result": "yes", "self_quality": 4}
            | {"self_distraction": 2, "solutions": ["pomodoro"]}
            for u, s in pairs
        ]
        await db.execute(insert(Review), reviews)
        await db.commit()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report_sends(fake: FakeTelegram, first_chat: int, count: int) -> list[Any]:
    chats = range(first_chat, first_chat + count)
    return [
        c
        for method in SEND_METHODS
        for c in fake.calls_of(method)
        if c.ok and int(c.params["chat_id"]) in chats
    ]


def rate(sends: list[Any]) -> float:
    moments = sorted(c.at for c in sends)
    return (len(moments) - 1) / (moments[-1] - moments[0]) if len(moments) > 1 else 0.0


async def baseline(settings: Settings, redis: Redis, fake: FakeTelegram, count: int) -> float:
    """Bare sends through the shared limiter, 20 at a time, from one process."""
    for n in range(count):
        fake.add_user(f"Baseline {n}", user_id=BASELINE_CHAT + n)
    bot = create_bot(settings)
    limit_sends(bot, redis)
    pending = asyncio.Queue[int]()
    for n in range(count):
        pending.put_nowait(BASELINE_CHAT + n)

    async def sender() -> None:
        while not pending.empty():
            await bot(SendMessage(chat_id=pending.get_nowait(), text="baseline"))

    try:
        await asyncio.gather(*(sender() for _ in range(20)))
    finally:
        await bot.session.close()
    return rate(report_sends(fake, BASELINE_CHAT, count))


async def wait_for_reports(fake: FakeTelegram, redis: Redis, users: int) -> None:
    """Until every user has a report and the queue is empty, or nothing moves for a minute."""
    seen, moved = 0, time.monotonic()
    while True:
        await asyncio.sleep(1)
        done = len(report_sends(fake, FIRST_CHAT, users))
        if done != seen:
            seen, moved = done, time.monotonic()
            sys.stdout.write(f"\r  {done}/{users} reports sent")
            sys.stdout.flush()
        if done >= users and not await redis.zcard("arq:queue"):
            break
        if time.monotonic() - moved > STALL_SECONDS:
            sys.stdout.write("\n  stalled: giving up\n")
            break
    await asyncio.sleep(3)  # a duplicate would show up now
    sys.stdout.write("\n")


async def main(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="qtime-bench-"))
    database_url = f"sqlite+aiosqlite:///{home / 'qtime.db'}"
    await upgrade(database_url)
    async with FakeTelegram() as fake:
        settings = load_settings(
            _env_file=None,
            data_dir=home,
            database={"url": database_url},
            redis={"url": args.redis_url},
            telegram={"token": fake.token, "api_url": fake.url},
        )
        resources = Resources.open(settings)
        await resources.redis.flushdb()
        await seed(resources, args.users, args.charts)
        for n in range(args.users):
            fake.add_user(f"User {n}", user_id=FIRST_CHAT + n)
        base = await baseline(settings, resources.redis, fake, args.baseline)
        await asyncio.sleep(1.5)  # let the fake's bucket fill up again
        for method in SEND_METHODS:
            fake.fail_next(method, args.inject_429 // 2, retry_after=1)
        env = {
            **os.environ,
            "QTIME_DATABASE__URL": database_url,
            "QTIME_REDIS__URL": args.redis_url,
            "QTIME_TELEGRAM__TOKEN": fake.token,
            "QTIME_TELEGRAM__API_URL": fake.url,
            "QTIME_DATA_DIR": str(home),
            "QTIME_LOG_LEVEL": "WARNING",
        }
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.fanout", "--serve-worker", env=env
            )
            for _ in range(2)
        ]
        try:
            started, fanout_start = time.monotonic(), time.time()
            ctx = {"resources": resources}
            claimed = [await weekly_report_tick(ctx), await weekly_report_tick(ctx)]
            await wait_for_reports(fake, resources.redis, args.users)
            wall = time.monotonic() - started
            cpu = [cpu_seconds(worker.pid) for worker in workers] + [time.process_time()]
            async with resources.sessionmaker() as db:
                statuses = dict(
                    (
                        await db.execute(
                            select(WeeklyReport.status, func.count()).group_by(WeeklyReport.status)
                        )
                    ).all()
                )
        finally:
            for worker in workers:
                if worker.returncode is None:
                    worker.terminate()
                await worker.wait()
            await resources.close()
        summarize(args, fake, claimed, statuses, (wall, fanout_start), base)
        sys.stdout.write(
            f"CPU per report: workers {1000 * sum(cpu[:2]) / args.users:.0f} ms, "
            f"this process (fake Bot API, tick) {1000 * cpu[2] / args.users:.0f} ms; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
        )


def summarize(
    args: argparse.Namespace,
    fake: FakeTelegram,
    claimed: list[int],
    statuses: dict[ReportStatus, int],
    times: tuple[float, float],
    base: float,
) -> None:
    sends = report_sends(fake, FIRST_CHAT, args.users)
    per_chat = Counter(int(c.params["chat_id"]) for c in sends)
    lost = args.users - len(per_chat)
    duplicates = sum(n - 1 for n in per_chat.values())
    wall, fanout_start = times
    reports = [c for c in fake.calls if c.method in SEND_METHODS and c.at >= fanout_start]
    too_many = sum(1 for c in reports if c.status == 429)
    organic = too_many - min(too_many, args.inject_429 // 2 * 2)
    sustained = rate(sends)
    share = 100 * too_many / max(1, len(reports))
    sys.stdout.write(
        f"users {args.users} ({round(args.users * args.charts)} with a chart), two workers, "
        f"ticks claimed {claimed}\n"
        f"rows: {statuses}\n"
        f"sent {len(sends)} messages in {wall:.0f} s; sustained {sustained:.1f} msg/s "
        f"(baseline, bare limited sends: {base:.1f} msg/s; ratio {sustained / base:.2f}; "
        f"{100 * sustained / 30:.0f}% of Telegram's 30/s)\n"
        f"lost {lost}, duplicates {duplicates}\n"
        f"429s: {too_many} of {len(reports)} send calls ({share:.2f}%): "
        f"{too_many - organic} injected, {organic} from the rate limits\n"
        f"targets: ≥ 28 msg/s {'ok' if sustained >= 28 else 'MISSED'}, "
        f"0 lost {'ok' if lost == 0 else 'MISSED'}, "
        f"0 duplicates {'ok' if duplicates == 0 else 'MISSED'}, "
        f"429s < 1% {'ok' if share < 1 else 'MISSED'}, "
        f"all rows sent {'ok' if statuses == {ReportStatus.sent: args.users} else 'MISSED'}\n"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--charts", type=float, default=1.0, help="share of users with a chart")
    parser.add_argument("--inject-429", type=int, default=10, help="unprovoked 429s to honour")
    parser.add_argument("--baseline", type=int, default=300, help="bare sends for the baseline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--serve-worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_worker:
        asyncio.run(serve_worker())
    else:
        asyncio.run(main(arguments))
