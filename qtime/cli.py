"""`qtime`: the command line, and the composition root of every process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import logging
import sys
from collections.abc import Sequence

from core.settings import ConfigError, Settings, load_settings
from qtime import logs, run, services
from qtime.instance import only_instance

log = logging.getLogger("qtime")

COMMANDS = {
    "up": "run everything on this machine: migrations, API, bot (polling) and worker",
    "api": "run the HTTP API (and the Telegram webhook in webhook mode)",
    "bot": "run the Telegram bot in polling mode",
    "worker": "run the background worker and its scheduled jobs",
    "migrate": "bring the database schema up to date",
    "doctor": "check the database, Redis, the Bot API and the AI endpoint",
}


async def _up(settings: Settings) -> int:
    settings.require_token()
    with only_instance(services.ensure_data_dir(settings)):
        _log_where_data_lives(settings)  # once the folder is ours: a refused run says one line
        async with services.redis_available(settings, owner=True):
            await services.migrate(settings)
            api, bot, worker = asyncio.Event(), asyncio.Event(), asyncio.Event()
            announcing = asyncio.create_task(_announce_up(settings, api, bot, worker))
            try:
                await run.supervise(
                    functools.partial(run.run_api, settings, ready=api),
                    functools.partial(run.run_bot, settings, ready=bot),
                    functools.partial(run.run_worker, settings, ready=worker),
                )
            finally:
                announcing.cancel()
    return 0


async def _announce_up(settings: Settings, *parts_ready: asyncio.Event) -> None:
    await asyncio.gather(*(ready.wait() for ready in parts_ready))
    log.info(
        "Quality Time is up: API on http://%s:%s, bot polling, worker started",
        settings.api.host,
        settings.api.port,
    )


def _log_where_data_lives(settings: Settings) -> None:
    """Where this command keeps its data: the SQLite file and the embedded Redis, or URLs."""
    places: dict[str, str] = {
        "database": str(settings.sqlite_path or "QTIME_DATABASE__URL"),
        "redis": "QTIME_REDIS__URL" if settings.redis.url else str(settings.embedded_redis_socket),
    }
    if settings.sqlite_path or not settings.redis.url:
        places = {"data_dir": str(settings.data_dir.resolve()), **places}
    log.info("where the data lives", extra=places)


async def _single(settings: Settings, part: run.Part) -> int:
    """One part; on the embedded Redis it owns the data folder, as `up` does."""
    with contextlib.ExitStack() as held:
        if not settings.redis.url:
            held.enter_context(only_instance(services.ensure_data_dir(settings)))
        _log_where_data_lives(settings)
        async with services.redis_available(settings, owner=False):
            await run.supervise(part)
    return 0


async def _migrate(settings: Settings) -> int:
    _log_where_data_lives(settings)
    await services.migrate(settings)
    log.info("database schema is up to date")
    return 0


async def _doctor(settings: Settings) -> int:
    from qtime import doctor  # it loads alembic and aiogram, which other commands may not need

    return 0 if await doctor.run_checks(settings, print) else 1  # noqa: T201  # CLI output


async def _dispatch(command: str, settings: Settings) -> int:
    match command:
        case "up":
            return await _up(settings)
        case "api":
            return await _single(settings, functools.partial(run.run_api, settings))
        case "bot":
            settings.require_token()
            return await _single(settings, functools.partial(run.run_bot, settings))
        case "worker":
            settings.require_token()
            return await _single(settings, functools.partial(run.run_worker, settings))
        case "migrate":
            return await _migrate(settings)
        case _:
            return await _doctor(settings)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="qtime", description="Quality Time, the focus coach.")
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(settings.log_level, settings.log_format)
        return asyncio.run(_dispatch(args.command, settings))
    except ConfigError as exc:
        sys.stderr.write(f"qtime: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
