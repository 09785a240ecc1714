"""A fake Telegram Bot API server that the real aiogram `Bot` talks to over HTTP.

In a test::

    async with FakeTelegram() as tg:
        alice = tg.add_user("Alice")
        bot = tg.make_bot()
        tg.send_message(alice, "/start")
        reply = await tg.wait_for_text(alice, "Welcome")

As a process (controls over HTTP under `/_fake/...`, see telegram_control)::

    python -m tests.fakes.telegram --port 8081 [--token 123:ABC]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes import telegram_methods, telegram_methods_bot
from tests.fakes.server import LocalServer
from tests.fakes.telegram_control import ControlApi, control_errors
from tests.fakes.telegram_limits import RateLimits
from tests.fakes.telegram_models import ApiCall, ApiError
from tests.fakes.telegram_params import Params, read_request
from tests.fakes.telegram_world import DEFAULT_TOKEN, TelegramWorld

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.client.telegram import TelegramAPIServer

__all__ = ["DEFAULT_TOKEN", "FakeTelegram", "RateLimits"]
METHODS = telegram_methods_bot.METHODS | telegram_methods.METHODS
log = logging.getLogger(__name__)


class FakeTelegram(TelegramWorld, LocalServer):
    """The Bot API over HTTP on `host:port` (port 0 picks a free one) for one bot token."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_username: str = "qtime_test_bot",
        limits: RateLimits | None = None,
    ) -> None:
        TelegramWorld.__init__(self, token, bot_username=bot_username, limits=limits)
        LocalServer.__init__(self, host, port)

    @property
    def url(self) -> str:
        """Base URL to give aiogram: `TelegramAPIServer.from_base(fake.url)`."""
        return self.base_url

    @property
    def api_server(self) -> TelegramAPIServer:
        from aiogram.client.telegram import TelegramAPIServer

        return TelegramAPIServer.from_base(self.url)

    def make_bot(self, **kwargs: Any) -> Bot:
        """A real aiogram Bot pointed at this fake; close it with `await bot.session.close()`."""
        from aiogram import Bot
        from aiogram.client.session.aiohttp import AiohttpSession

        return Bot(self.token, session=AiohttpSession(api=self.api_server), **kwargs)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[control_errors], client_max_size=64 * 1024 * 1024)
        app.add_routes(ControlApi(self).routes())
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def before_stop(self) -> None:
        self.queue.close()
        await self.webhook.close()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        try:
            fields = await read_request(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.code)
        status, body = await self.call(request.match_info["method"], fields)
        return web.json_response(body, status=status)

    async def call(self, method: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        entry = METHODS.get(method.lower())
        name = entry[0] if entry else method
        try:
            if entry is None:
                raise ApiError(404, "Not Found")
            forced = self.flood.forced(name)
            if forced is not None:
                raise forced
            status, body = 200, {"ok": True, "result": await entry[1](self, Params(fields))}
        except ApiError as exc:
            status, body = exc.code, exc.body()
        self.record(ApiCall(name, fields, status, body, time.time()))
        return status, body


async def _serve(args: argparse.Namespace) -> None:
    limits = RateLimits(args.global_rate, args.chat_rate, args.chat_burst)
    fake = FakeTelegram(args.token, host=args.host, port=args.port, limits=limits)
    await fake.start()
    sys.stdout.write(f"fake Telegram Bot API listening on {fake.url}\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await fake.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API server for tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--global-rate", type=float, default=30.0)
    parser.add_argument("--chat-rate", type=float, default=1.0)
    parser.add_argument("--chat-burst", type=int, default=5)
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
