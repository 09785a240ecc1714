"""The whole conversation over HTTP: /start, /link, /focus, time's up, every form step, Submit."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from core.db.engine import SessionMaker
from core.db.models import Analysis, AnalysisStatus, FocusSession, Review, SessionStatus
from core.settings import Settings
from tests.bot.conftest import (
    WEBHOOK_SECRET,
    Chat,
    PollingBot,
    WebhookApi,
    add_events,
    last_session,
    no_errors,
    run_jobs,
    travel_to_end,
    user_of,
)
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def bot_database_url(database_url: str) -> str:
    """The whole conversation runs on SQLite and on PostgreSQL."""
    return database_url


async def converse(
    chat: Chat, fake: FakeTelegram, redis: Redis, sessionmaker: SessionMaker, settings: Settings
) -> None:
    """From /start to Submit, asserting what the user sees on the way."""
    await chat.say("/start", "Hi Alice")
    code = await chat.say("/link", "Type this code")
    assert "-" in code.content.split("\n\n")[1]
    started = await chat.say("/focus 25 write chapter 2", "Focus on write chapter 2 until")
    assert "(25 min)" in started.content
    session = await last_session(sessionmaker, chat.user.id)
    assert session.status == SessionStatus.active and session.goal == "write chapter 2"

    await travel_to_end(redis, sessionmaker, session.id)
    session = await last_session(sessionmaker, chat.user.id)
    await add_events(
        sessionmaker, session, {"github.com": 15, "youtube.com": 6, "docs.python.org": 3}
    )
    await run_jobs(settings, redis)
    times_up = await fake.wait_for_text(chat.user, "Time's up: write chapter 2")
    assert times_up.button_texts == ["Review now"]

    form = await chat.press(times_up, "Review now", "Anything else you did?")
    assert form.message_id == times_up.message_id
    assert "github.com: 15 min" in form.content and "youtube.com: 6 min" in form.content
    form = await chat.say("also answered two emails", "Did you achieve your goal?")
    await chat.press(form, "Partly", "How good was your focus?")
    await chat.press(form, "4", "How distracted were you?")
    form = await chat.press(form, "2", "What helped you focus?")
    await chat.press(form, "📵 Phone away")
    await chat.press(chat.last, "🍅 Pomodoro")
    form = await chat.say("coffee first", "Other: coffee first")
    assert "☑️ 📵 Phone away" in form.button_texts and "☑️ 🍅 Pomodoro" in form.button_texts
    await chat.press(form, "Done ✓", "Anything to note for next time?")
    summary = await chat.say("start earlier", "check and submit")
    assert "Goal achieved: Partly" in summary.content and "Quality: 4/5" in summary.content
    assert "Helped: 📵 Phone away, 🍅 Pomodoro, coffee first" in summary.content

    await chat.press(summary, "Edit", "Which answer do you want to change?")
    await chat.press(summary, "Quality", "How good was your focus?")
    summary = await chat.press(summary, "5", "check and submit")
    assert "Quality: 5/5" in summary.content
    analysing = await chat.press(summary, "Submit ✓", "Analysing your session")
    assert analysing.message_id == times_up.message_id
    assert analysing.buttons == []


async def assert_stored(
    sessionmaker: SessionMaker, redis: Redis, telegram_id: int, message_id: int
) -> None:
    user = await user_of(sessionmaker, telegram_id)
    async with sessionmaker() as db:
        review = (await db.execute(select(Review).where(Review.user_id == user.id))).scalar_one()
        analysis = (await db.execute(select(Analysis))).scalar_one()
        session = await db.get(FocusSession, review.session_id)
    assert (review.goal_result, review.self_quality, review.self_distraction) == ("partly", 5, 2)
    assert review.extra_activities == "also answered two emails"
    assert review.solutions == ["phone_away", "pomodoro"]
    assert review.solutions_other == "coffee first" and review.note == "start earlier"
    assert analysis.review_id == review.id and analysis.status == AnalysisStatus.pending
    assert (analysis.chat_id, analysis.message_id) == (telegram_id, message_id)
    assert session is not None and session.status == SessionStatus.reviewed
    assert await redis.exists(f"arq:job:analyze:{review.id}")


async def test_full_conversation_polling(
    polling_bot: object,
    fake_telegram: FakeTelegram,
    redis: Redis,
    db_of: SessionMaker,
    bot_settings: Settings,
) -> None:
    alice = Chat(fake_telegram, fake_telegram.add_user("Alice"))
    with no_errors(fake_telegram):
        await converse(alice, fake_telegram, redis, db_of, bot_settings)
    times_up = fake_telegram.bot_messages(alice.user)[-1]
    await assert_stored(db_of, redis, alice.user.id, times_up.message_id)
    menu = [c["command"] for c in fake_telegram.commands[next(iter(fake_telegram.commands))]]
    assert {"focus", "done", "cancel", "link", "settings", "export", "forget"} <= set(menu)


async def test_full_conversation_webhook(
    webhook_api: WebhookApi, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    assert fake_telegram.webhook.url == webhook_api.url + "/telegram/webhook"
    assert fake_telegram.webhook.secret_token == WEBHOOK_SECRET
    alice = Chat(fake_telegram, fake_telegram.add_user("Alice"))
    with no_errors(fake_telegram):
        await converse(alice, fake_telegram, redis, db_of, webhook_api.settings)
    times_up = fake_telegram.bot_messages(alice.user)[-1]
    await assert_stored(db_of, redis, alice.user.id, times_up.message_id)
    assert all(d.status == 200 for d in fake_telegram.webhook.deliveries)


async def test_restart_in_the_middle_of_the_form(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    bob = Chat(fake_telegram, fake_telegram.add_user("Bob"))
    await bob.say("/focus 30 refactor the parser", "Focus on refactor the parser")
    session = await last_session(db_of, bob.user.id)
    await travel_to_end(redis, db_of, session.id)
    await run_jobs(polling_bot.settings, redis)
    times_up = await fake_telegram.wait_for_text(bob.user, "Time's up")
    form = await bob.press(times_up, "Review now", "Anything else you did?")
    await bob.press(form, "Skip", "Did you achieve your goal?")
    await bob.press(form, "Yes", "How good was your focus?")

    await polling_bot.stop()  # the process goes away mid-form and comes back
    await polling_bot.start()

    await bob.press(form, "3", "How distracted were you?")
    await bob.press(form, "1", "What helped you focus?")
    await bob.press(form, "Done ✓", "Anything to note")
    await bob.press(form, "Skip", "check and submit")
    await bob.press(form, "Submit ✓", "Analysing")
    async with db_of() as db:
        review = (await db.execute(select(Review))).scalar_one()
    assert (review.goal_result, review.self_quality, review.self_distraction) == ("yes", 3, 1)
    assert review.extra_activities is None and review.note is None and review.solutions == []
