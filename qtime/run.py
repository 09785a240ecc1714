"""Running the processes: each part is a coroutine, and `up` runs them side by side.

SIGINT or SIGTERM stops every part gracefully; if one part fails, the others stop too.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from core.infra.resources import Resources
from core.settings import ConfigError, Settings, TelegramMode
from qtime import services

if TYPE_CHECKING:
    from arq.typing import StartupShutdown

log = logging.getLogger(__name__)

WORKER_GRACE_SECONDS = 20.0  # for the jobs under way at a stop; Fly waits 30 s (fly.toml)
Part = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def run_api(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    server = services.api_server(settings)
    serving = asyncio.create_task(server.serve())
    listening = asyncio.create_task(_set_when(lambda: server.started, ready))
    await _until(stop, serving)
    listening.cancel()
    server.should_exit = True
    await serving
    if not server.started:
        raise ConfigError(f"the API could not listen on {settings.api.host}:{settings.api.port}")


async def run_bot(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    from bot.factory import create_bot, create_dispatcher, set_commands
    from bot.updates.polling import serve_polling

    if settings.telegram.mode is TelegramMode.webhook:
        raise ConfigError("in webhook mode the API serves the bot: run `qtime api` instead")
    bot = create_bot(settings)
    resources = Resources.open(settings)
    dispatcher = create_dispatcher(resources.sessionmaker, resources.redis)
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await set_commands(bot)
        if ready is not None:
            ready.set()
        await serve_polling(bot, dispatcher, resources.redis, stop)
    finally:
        await bot.session.close()
        await dispatcher.storage.close()
        await resources.close()


async def run_worker(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    from jobs.worker import build_worker

    worker = build_worker(settings)
    if ready is not None:
        worker.on_startup = _then_set(worker.on_startup, ready)
    working = asyncio.create_task(worker.async_run())
    await _until(stop, working)
    if not working.done():
        working.cancel()  # stops polling; the jobs under way are tasks of their own
    try:
        await working
    except asyncio.CancelledError:
        pass
    finally:
        await worker.drain(WORKER_GRACE_SECONDS)
        await worker.close()


def _then_set(startup: StartupShutdown | None, ready: asyncio.Event) -> StartupShutdown:
    """The worker's start-up hook, then `ready`: arq polls for jobs right after it."""

    async def started(ctx: dict[Any, Any]) -> None:
        if startup is not None:
            await startup(ctx)
        ready.set()

    return started


async def _set_when(started: Callable[[], bool], ready: asyncio.Event | None) -> None:
    """Set `ready` once `started()` holds; uvicorn has no hook for "listening"."""
    if ready is None:
        return
    while not started():
        await asyncio.sleep(0.05)
    ready.set()


async def _until(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    """Wait for the stop signal, or for the part to end on its own."""
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({stopping, task}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()


async def supervise(*parts: Part) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(part(stop)) for part in parts]
    try:
        for finished in asyncio.as_completed(tasks):
            try:
                await finished
            finally:
                stop.set()  # one part ended: stop the rest
    finally:
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]
