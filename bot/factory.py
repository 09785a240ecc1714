"""The bot's composition root: the Bot client and the Dispatcher with its routers.

The worker needs only the client: the routers (and what they import, such as the chart
library) are imported by `features()`, so a worker process never loads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import BotCommand
from aiogram.utils.token import TokenValidationError
from arq.connections import ArqRedis

from bot import texts
from bot.middlewares import DbSessionMiddleware
from bot.notify import RetryAfterMiddleware
from core.db.engine import SessionMaker
from core.db.units import Units
from core.settings import ConfigError, Settings

FSM_TTL_SECONDS = 7 * 24 * 3600  # an unfinished form is dropped after a week


def create_bot(settings: Settings) -> Bot:
    token = settings.require_token()
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_url))
    session.middleware(RetryAfterMiddleware())
    try:
        return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    except TokenValidationError:
        raise ConfigError(
            "QTIME_TELEGRAM__TOKEN does not look like a bot token (it is like 123456:ABC-DEF…); "
            "copy it again from @BotFather"
        ) from None


def create_dispatcher(
    sessionmaker: SessionMaker, redis: ArqRedis, *, routers: Sequence[Router] | None = None
) -> Dispatcher:
    """Handlers get `db` (one session per update), `units` (see `core.db.units`) and `queue`
    (enqueue jobs, publish). Emit its shutdown when done with it.

    Feed it through `bot.updates`: the drainer runs one chat's updates one at a time and
    handles each update_id once, so the Dispatcher needs no events isolation (whose Redis
    lock a stopped process could leave behind) and no duplicate filter of its own.

    `routers` replaces the product's handlers (a benchmark's baseline); the rest is the same.
    """
    # Keys carry the bot id and expire, so several bots can share one Redis safely.
    key_builder = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
    storage = RedisStorage(
        redis, key_builder=key_builder, state_ttl=FSM_TTL_SECONDS, data_ttl=FSM_TTL_SECONDS
    )
    dispatcher = Dispatcher(storage=storage)
    dispatcher["queue"] = redis
    dispatcher["units"] = units = Units(sessionmaker)
    dispatcher.shutdown.register(units.close)
    dispatcher.update.outer_middleware(DbSessionMiddleware(sessionmaker))
    _include(dispatcher, *(features() if routers is None else routers))
    return dispatcher


def features() -> list[Router]:
    """The product's routers. The review form first, as it gets most updates (its text
    handlers let /commands through); then the commands, then the other forms."""
    from bot.handlers import (  # only a bot process needs them
        data,
        devices,
        errors,
        focus,
        link,
        report,
        review_open,
        review_steps,
        review_summary,
        settings,
        start,
    )

    return [
        review_open.router,
        review_steps.router,
        review_summary.router,
        errors.router,
        start.router,
        link.router,
        focus.router,
        settings.router,
        devices.router,
        data.router,
        report.router,
    ]


def _include(dispatcher: Dispatcher, *routers: Router) -> None:
    """Attach the feature routers, taking them from a Dispatcher built earlier in this process.

    Routers are module-level and hold no state, but aiogram lets a router have one parent;
    a bot restarted inside one process (tests, `qtime up` recovering) builds a new one.
    """
    for router in routers:
        previous = router.parent_router
        if previous is not None:
            previous.sub_routers.remove(router)
            router._parent_router = None  # aiogram offers no public way to detach
    dispatcher.include_routers(*routers)


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.items()]
    )
