"""The fake Telegram behaves like the Bot API for the real aiogram Bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.fixtures import fake_telegram
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_html import HtmlParseError, parse_html

__all__ = ["fake_telegram"]
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"\x00" * 32


def keyboard(*data: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(text=f"b{i}", callback_data=d) for i, d in enumerate(data)]
    return InlineKeyboardMarkup(inline_keyboard=[buttons])


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_telegram.make_bot()
    yield bot
    await bot.session.close()


async def test_sent_message_is_what_the_user_sees(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user("Alice")
    sent = await bot.send_message(
        alice.id, "  <b>Focus</b> &amp; win  ", parse_mode="HTML", reply_markup=keyboard("go")
    )
    assert sent.text == "Focus & win"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    shown = fake_telegram.last_bot_message(alice)
    assert shown is not None and shown.button_texts == ["b0"]
    assert (sent.message_id, sent.chat.id) == (shown.message_id, alice.id)


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("x" * 4097, None, "message is too long"),
        ("<b>" + "x" * 4097 + "</b>", "HTML", "message is too long"),
        ("   ", None, "message text is empty"),
        ("a<br>b", "HTML", 'can\'t parse entities: Unsupported start tag "br" at byte offset 1'),
        ("<b>open", "HTML", 'corresponding to start tag "b"'),
        ("<b>x</i>", "HTML", 'expected "</b>", found "</i>"'),
        ("1 < 2", "HTML", 'Unsupported start tag ""'),
    ],
)
async def test_bad_text_is_rejected_with_telegram_errors(
    fake_telegram: FakeTelegram, bot: Bot, text: str, parse_mode: str | None, error: str
) -> None:
    alice = fake_telegram.add_user()
    with pytest.raises(TelegramBadRequest, match="Bad Request: ") as raised:
        await bot.send_message(alice.id, text, parse_mode=parse_mode)
    assert error in raised.value.message
    assert fake_telegram.history(alice) == []
    assert fake_telegram.errors[-1].status == 400


async def test_limits_count_text_after_entity_parsing(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    alice = fake_telegram.add_user()
    sent = await bot.send_message(alice.id, "<i>" + "&lt;" * 4096 + "</i>", parse_mode="HTML")
    assert sent.text == "<" * 4096


async def test_callback_data_over_64_bytes_is_rejected(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    alice = fake_telegram.add_user()
    await bot.send_message(alice.id, "ok", reply_markup=keyboard("é" * 32))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "too long", reply_markup=keyboard("x" * 65))


async def test_edits_follow_telegram_rules(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()
    sent = await bot.send_message(alice.id, "Step 1", reply_markup=keyboard("a"))
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            "Step 1", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("a")
        )
    await bot.edit_message_text("Step 2", chat_id=alice.id, message_id=sent.message_id)
    shown = fake_telegram.history(alice)[0]
    assert (shown.text, shown.buttons, shown.edit_date is not None) == ("Step 2", [], True)
    await bot.edit_message_reply_markup(
        chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard("b")
    )
    assert fake_telegram.history(alice)[0].find_button(data="b")
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=999)
    await bot.delete_message(alice.id, sent.message_id)
    assert fake_telegram.history(alice) == []


async def test_unknown_and_blocked_chats(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(42, "hi")
    fake_telegram.block(alice)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    fake_telegram.unblock(alice)
    await bot.send_message(alice.id, "welcome back")


async def test_forced_429_carries_retry_after(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()
    fake_telegram.fail_next("sendMessage", times=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as raised:
            await bot.send_message(alice.id, "hi")
        assert raised.value.retry_after == 7
        assert "Too Many Requests: retry after 7" in raised.value.message
    await bot.send_message(alice.id, "hi")


async def test_per_chat_flood_limit(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice, bob = fake_telegram.add_user("Alice"), fake_telegram.add_user("Bob")
    for n in range(5):
        await bot.send_message(alice.id, f"burst {n}")
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(alice.id, "one too many")
    assert raised.value.retry_after >= 1
    await bot.send_message(bob.id, "other chats are fine")


async def test_photo_upload_is_multipart_with_caption_limit(
    fake_telegram: FakeTelegram, bot: Bot
) -> None:
    alice = fake_telegram.add_user()
    chart = BufferedInputFile(PNG, "week.png")
    sent = await bot.send_photo(alice.id, chart, caption="<b>Week 12</b>", parse_mode="HTML")
    assert sent.photo is not None and (sent.photo[-1].width, sent.photo[-1].height) == (640, 480)
    shown = fake_telegram.history(alice)[0]
    assert shown.photo is not None and shown.photo.data == PNG
    assert shown.caption == "Week 12"
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(alice.id, chart, caption="x" * 1025)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(alice.id, BufferedInputFile(b"not an image", "x.png"))
    again = await bot.send_photo(alice.id, sent.photo[-1].file_id)
    assert again.photo is not None
    document = await bot.send_document(alice.id, BufferedInputFile(b"a,b\n", "export.csv"))
    assert document.document is not None and document.document.mime_type == "text/csv"


async def test_long_poll_wakes_when_a_user_writes(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()
    poll = asyncio.create_task(bot.get_updates(timeout=20))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    fake_telegram.send_message(alice, "/focus 90 write chapter 2")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    message = updates[0].message
    assert message is not None and message.text == "/focus 90 write chapter 2"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].length) == ("bot_command", 6)
    fake_telegram.send_message(alice, "second")
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id, updates[0].update_id + 1]
    confirmed = await bot.get_updates(offset=again[-1].update_id + 1, timeout=0)
    assert confirmed == []
    fake_telegram.redeliver(again[-1].update_id)
    duplicate = await bot.get_updates(offset=again[-1].update_id + 1, timeout=0)
    assert [u.update_id for u in duplicate] == [again[-1].update_id]


async def test_button_presses_and_answers(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()
    await bot.send_message(alice.id, "Goal achieved?", reply_markup=keyboard("goal:yes", "goal:no"))
    shown = fake_telegram.history(alice)[0]
    with pytest.raises(LookupError):
        fake_telegram.click(alice, shown, text="Maybe")
    by_text = fake_telegram.click(alice, shown, text="b1")
    by_data = fake_telegram.click(alice, shown, data="goal:yes")
    updates = await bot.get_updates(timeout=0)
    queries = [u.callback_query for u in updates]
    assert [q.data for q in queries if q is not None] == ["goal:no", "goal:yes"]
    assert queries[0] is not None and queries[0].message is not None
    assert queries[0].message.message_id == shown.message_id
    await bot.answer_callback_query(by_text.id, text="Saved")
    assert by_text.answered and by_text.answer["text"] == "Saved"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(by_text.id)
    assert not by_data.answered


async def test_commands_and_auth(fake_telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([{"command": "focus", "description": "Start a session"}])  # type: ignore[list-item]
    assert [c.command for c in await bot.get_my_commands()] == ["focus"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([{"command": "Focus!", "description": "x"}])  # type: ignore[list-item]
    stranger = Bot("1:WRONG", session=bot.session)
    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    async with aiohttp.ClientSession() as http:
        url = f"{fake_telegram.url}/bot{fake_telegram.token}/sendTelepathy"
        async with http.post(url, json={}) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }


async def test_waits_return_messages_as_they_arrive(fake_telegram: FakeTelegram, bot: Bot) -> None:
    alice = fake_telegram.add_user()

    async def reply_later() -> None:
        await asyncio.sleep(0.05)
        sent = await bot.send_message(alice.id, "Analysing…")
        await bot.edit_message_text("Quality 4/5", chat_id=alice.id, message_id=sent.message_id)

    task = asyncio.create_task(reply_later())
    mark = fake_telegram.seq
    result = await fake_telegram.wait_for_text(alice, "Quality", timeout=2, since=mark)
    assert result.text == "Quality 4/5"
    await task
    with pytest.raises(TimeoutError, match="Quality 4/5"):
        await fake_telegram.wait_for_text(alice, "never", timeout=0.05)


@pytest.mark.parametrize(
    ("html", "plain"),
    [
        ('<a href="https://x.io">x</a> <tg-spoiler>s</tg-spoiler>', "x s"),
        ('<pre><code class="language-py">x</code></pre>', "x"),
        ("&#128512; &#x41; &nbsp;", "😀 A &nbsp;"),
    ],
)
def test_html_parser_accepts_telegram_html(html: str, plain: str) -> None:
    assert parse_html(html)[0] == plain


def test_html_entities_use_utf16_offsets() -> None:
    _, entities = parse_html("😀 <b>bold</b>")
    assert entities == [{"type": "bold", "offset": 3, "length": 4}]
    with pytest.raises(HtmlParseError, match='must have class "tg-spoiler"'):
        parse_html("<span>x</span>")
