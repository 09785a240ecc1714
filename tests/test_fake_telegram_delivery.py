"""The fake Telegram delivers updates like Telegram: polling, webhooks, a separate process."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.fakes.fixtures import fake_telegram
from tests.fakes.telegram import DEFAULT_TOKEN, FakeTelegram

__all__ = ["fake_telegram"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_telegram.make_bot()
    yield bot
    await bot.session.close()


def review_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        button = InlineKeyboardButton(text="Review now", callback_data="review:1")
        await message.answer(
            f"Welcome, {message.from_user.first_name if message.from_user else '?'}",
            reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
        )

    @router.callback_query(F.data == "review:1")
    async def review(callback: CallbackQuery) -> None:
        await callback.answer("Opening")
        if isinstance(callback.message, Message):
            await callback.message.edit_text("Goal achieved?")

    return router


async def test_aiogram_dispatcher_polls_the_fake(fake_telegram: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()
    dp.include_router(review_router())
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5))
    try:
        alice = fake_telegram.add_user("Alice")
        fake_telegram.send_message(alice, "/start")
        welcome = await fake_telegram.wait_for_text(alice, "Welcome, Alice")
        query = fake_telegram.click(alice, welcome, text="Review now")
        edited = await fake_telegram.wait_for_text(alice, "Goal achieved?")
        assert edited.message_id == welcome.message_id and edited.buttons == []
        await fake_telegram.wait_until(lambda: query.answered)
        assert query.answer["text"] == "Opening"
    finally:
        await dp.stop_polling()
        await polling
    assert fake_telegram.errors == []


class Receiver:
    """A webhook endpoint that records deliveries and can fail on purpose."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.fail_first = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=500)
        return web.json_response({})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield hook, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


async def test_webhook_pushes_updates_with_secret_and_retries(
    fake_telegram: FakeTelegram, bot: Bot, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    fake_telegram.webhook.retry_delay = 0.05
    await bot.set_webhook(url, secret_token="s3cret")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    alice = fake_telegram.add_user()
    hook.fail_first = 1
    fake_telegram.send_message(alice, "hello")
    await fake_telegram.wait_until(lambda: len(hook.received) >= 2)
    (first, secret), (second, _) = hook.received[:2]
    assert secret == "s3cret"
    assert first["update_id"] == second["update_id"]
    info = await bot.get_webhook_info()
    assert info.url == url and info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    fake_telegram.redeliver(first["update_id"])
    await fake_telegram.wait_until(lambda: len(hook.received) >= 3)
    assert hook.received[2][0] == first
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_webhook_reply_can_carry_a_method(fake_telegram: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False).register(app, path="/hook")
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        alice = fake_telegram.add_user()
        fake_telegram.send_message(alice, "ping")
        reply = await fake_telegram.wait_for_text(alice, "echo: ping")
        assert reply.from_bot
    finally:
        await runner.cleanup()


async def test_fake_runs_as_a_process_with_http_controls() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.telegram",
        "--port",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 10)
        base = line.decode().split()[-1]
        bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
        async with aiohttp.ClientSession(base_url=base) as http:
            async with http.post("/_fake/users", json={"first_name": "Bob"}) as response:
                user = await response.json()
            async with http.post("/_fake/messages", json={"user_id": user["id"], "text": "/start"}):
                pass
            updates = await bot.get_updates(timeout=1)
            assert updates[0].message is not None and updates[0].message.text == "/start"
            await bot.send_message(user["id"], "Hi Bob")
            wait = {"chat_id": user["id"], "contains": "Hi Bob", "timeout": 2}
            async with http.post("/_fake/wait", json=wait) as response:
                assert (await response.json())["text"] == "Hi Bob"
            async with http.get(f"/_fake/chats/{user['id']}/history") as response:
                assert [m["text"] for m in await response.json()] == ["/start", "Hi Bob"]
            async with http.get("/_fake/calls", params={"method": "sendMessage"}) as response:
                assert len(await response.json()) == 1
        await bot.session.close()
    finally:
        process.terminate()
        await process.wait()
