"""Telegram's limits, as the fake enforces them: the bot stays within them or copes."""

from __future__ import annotations

from redis.asyncio import Redis
from sqlalchemy import select

from core.db.engine import SessionMaker
from core.db.models import Category, HostRule
from tests.bot.conftest import (
    Chat,
    PollingBot,
    add_events,
    fill_form,
    last_session,
    no_errors,
    times_up,
    user_of,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_methods import NOT_MODIFIED

LONG_HOST = ".".join(["sub" + "x" * 55] * 4) + ".example.com"  # 248 characters


async def test_user_text_shows_literally_everywhere(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("<i>Ann</i> & co"))
    with no_errors(fake_telegram):
        await ann.say("/start", "Hi <i>Ann</i> & co!")
        message = await times_up(ann, db_of, redis, polling_bot.settings, '<b>&"')
        await ann.press(message, "Review now", 'Review: <b>&"')
        await ann.say("</code> <a href='x'>", "Did you achieve your goal?")
        summary = await fill_form(ann, message, opened=True)
    assert "Also did: </code> <a href='x'>" in summary.content
    assert {e["type"] for e in summary.entities} <= {"bold", "italic"}


async def test_a_long_goal_is_capped_with_a_clear_message(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    with no_errors(fake_telegram):
        reply = await ann.say("/focus 50 " + "refactor everything " * 200, "Focus on refactor")
    assert "Your goal was long, so I kept its first 200 characters." in reply.content
    session = await last_session(db_of, ann.user.id)
    assert len(session.goal) == 200 and session.goal.endswith("…")


async def test_an_edit_that_changes_nothing_is_ignored(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "draft the intro")
    await fill_form(ann, message)
    await ann.press(message, "Edit", "Which answer")
    await ann.press(message, "Solutions", "What helped you focus?")
    with no_errors(fake_telegram, NOT_MODIFIED):
        await ann.say("a quiet room", "Other: a quiet room")
        fake_telegram.send_message(ann.user, "a quiet room")  # the same again: same message
        await fake_telegram.wait_until(
            lambda: any(NOT_MODIFIED in (c.description or "") for c in fake_telegram.errors)
        )
        await ann.press(message, "Done ✓", "check and submit")
    assert [m.content for m in fake_telegram.history(ann.user)].count("a quiet room") == 2


async def test_flood_control_is_waited_out(
    polling_bot: PollingBot, fake_telegram: FakeTelegram
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    fake_telegram.fail_next("sendMessage", 2, retry_after=1)
    await ann.say("/help", "declare focus")
    assert [c.status for c in fake_telegram.calls_of("sendMessage")] == [429, 429, 200]


async def test_buttons_for_long_hosts_fit_in_64_bytes(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/focus 25 write", "Focus on write")
    await add_events(db_of, await last_session(db_of, ann.user.id), {LONG_HOST: 5, "github.com": 3})
    user = await user_of(db_of, ann.user.id)
    with no_errors(fake_telegram):
        settings = await ann.say("/settings", "Settings")
        await ann.press(settings, "🏷 Host categories", LONG_HOST)
        await ann.press(settings, f"▫️ {LONG_HOST}", "How should")
        await ann.press(settings, "⚠️ Distracting", "Host categories")
    assert all(len(str(b["callback_data"]).encode()) <= 64 for row in settings.buttons for b in row)
    async with db_of() as db:
        rule = (await db.execute(select(HostRule).where(HostRule.user_id == user.id))).scalar_one()
    assert (rule.pattern, rule.category) == (LONG_HOST, Category.distracting)
    assert f"⚠️ {LONG_HOST}" in settings.button_texts
