"""The review form under stress: stale buttons, wrong input, double taps, two users at once,
and Redis gone at Submit."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from sqlalchemy import func, select

from core.db.engine import SessionMaker, transaction
from core.db.models import Analysis, Review
from core.settings import Settings
from tests import factories as factory
from tests.bot.conftest import (
    Chat,
    PollingBot,
    fill_form,
    last_session,
    times_up,
    user_of,
)
from tests.fakes.telegram import FakeTelegram


async def test_buttons_of_a_closed_or_passed_step_change_nothing(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "read the paper")
    session = int(message.find_button(text="Review now")["callback_data"].split(":")[1])
    summary = await fill_form(ann, message)
    passed = await ann.press_data(message, "rv:goal:no")
    assert passed == "That step is done; use the buttons below it."
    assert "Goal achieved: Yes" in ann.last.content
    await ann.press(summary, "Submit ✓", "Analysing")
    for stale in ("rv:quality:5", "rv:submit:", f"ro:{session}"):
        assert await ann.press_data(message, stale) == "This review is closed."
    async with db_of() as db:
        review = (await db.execute(select(Review))).scalar_one()
    assert review.self_quality == 3


async def test_wrong_input_gets_a_short_reprompt(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "plan the week")
    await ann.press(message, "Review now", "Anything else you did?")
    await ann.say("x" * 501, "keep it under 500 characters")
    await ann.say("emails", "Did you achieve your goal?")
    await ann.say("yes I did", "Please tap one of the buttons")
    await ann.press(message, "No", "How good was your focus?")
    await ann.say("7", "Please tap one of the buttons")
    assert (
        "How good was your focus?"
        in fake_telegram.messages[ann.user.id][message.message_id].content
    )


async def test_a_burst_typed_into_a_button_step_gets_one_reprompt(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "answer mail")
    await ann.press(message, "Review now", "Anything else you did?")
    await ann.press(message, "Skip", "Did you achieve your goal?")
    since = fake_telegram.seq
    for n in range(20):
        fake_telegram.send_message(ann.user, f"yes {n}")
    await ann.say("/help", "declare focus")  # handled after the burst: a chat keeps its order
    reprompts = [m for m in fake_telegram.bot_messages(ann.user) if m.seq > since
                 and "Please tap one of the buttons" in m.content]  # fmt: skip
    assert len(reprompts) == 1
    assert fake_telegram.errors == []  # no 429 from Telegram's flood limit


async def test_focus_wizard_asks_again_for_a_bad_length(
    polling_bot: PollingBot, fake_telegram: FakeTelegram
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    asked = await ann.say("/focus", "How long will you focus?")
    assert asked.button_texts == ["25 min", "50 min", "90 min", "Custom…"]
    await ann.press(asked, "Custom…", "Type the length in minutes")
    await ann.say("a while", "Type the length in minutes, from 1 to 480")
    await ann.say("900", "Type the length in minutes, from 1 to 480")
    await ann.say("45", "45 min</b>".replace("</b>", "") + ". What will you work on?")
    started = await ann.say("outline the talk", "Focus on outline the talk until")
    assert "(45 min)" in started.content
    assert await ann.press_data(asked, "fl:25") == "This review is closed."


async def test_double_tapped_submit_stores_one_review_and_queues_one_job(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "fix the flaky test")
    summary = await fill_form(ann, message)
    first = fake_telegram.click(ann.user, summary, text="Submit ✓")
    second = fake_telegram.click(ann.user, summary, text="Submit ✓")
    await fake_telegram.wait_until(lambda: first.answered and second.answered)
    async with db_of() as db:
        reviews = await db.scalar(select(func.count()).select_from(Review))
        analyses = await db.scalar(select(func.count()).select_from(Analysis))
    assert (reviews, analyses) == (1, 1)
    jobs = [j for j in await redis.zrange("arq:queue", 0, -1) if j.startswith(b"analyze:")]
    assert len(jobs) == 1
    answers = {first.answer["text"], second.answer["text"]}  # in either order
    assert answers in (
        {None, "This review is closed."},
        {None, "This review is already submitted."},
    )
    assert sum("Analysing" in m.content for m in fake_telegram.bot_messages(ann.user)) == 1


async def test_two_users_fill_forms_at_once_without_mixing(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    bob = Chat(fake_telegram, fake_telegram.add_user("Bob"))
    ann_message = await times_up(ann, db_of, redis, polling_bot.settings, "write tests")
    bob_message = await times_up(bob, db_of, redis, polling_bot.settings, "design the schema")
    await asyncio.gather(fill_form(ann, ann_message, "5"), fill_form(bob, bob_message, "1"))
    await asyncio.gather(
        ann.press(ann_message, "Submit ✓", "Analysing"),
        bob.press(bob_message, "Submit ✓", "Analysing"),
    )
    for chat, goal, quality in ((ann, "write tests", 5), (bob, "design the schema", 1)):
        user = await user_of(db_of, chat.user.id)
        async with db_of() as db:
            review = (
                await db.execute(select(Review).where(Review.user_id == user.id))
            ).scalar_one()
        assert review.self_quality == quality
        assert goal in fake_telegram.messages[chat.user.id][review_message(chat, goal)].content


def review_message(chat: Chat, goal: str) -> int:
    return next(
        m.message_id
        for m in chat.fake.bot_messages(chat.user)
        if "Analysing" in m.content and goal in m.content
    )


async def test_submit_with_redis_gone_saves_the_review_and_says_the_analysis_follows(
    polling_bot: PollingBot,
    fake_telegram: FakeTelegram,
    redis: Redis,
    db_of: SessionMaker,
    bot_settings: Settings,
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "ship it")
    summary = await fill_form(ann, message)
    await redis.set("arq:queue", "not a sorted set")  # every enqueue now fails, like Redis down
    try:
        saved = await ann.press(summary, "Submit ✓", "The analysis will follow")
    finally:
        await redis.delete("arq:queue")
    assert saved.message_id == message.message_id
    async with db_of() as db:
        assert (await db.execute(select(Analysis))).scalar_one().status == "pending"


async def test_the_form_counts_overlapping_browser_time_once(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    """Two browsers on the same page at once, or an event sent twice under new ids, are
    one stretch of time in the form, as in the analysis."""
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    message = await times_up(ann, db_of, redis, polling_bot.settings, "draft the report")
    session = await last_session(db_of, ann.user.id)
    start = session.started_at
    pieces = [
        ("docs.example.org", 0, 10),
        ("docs.example.org", 5, 10),
        ("news.example.org", 10, 14),
    ]
    async with transaction(db_of) as db:
        db.add_all(factory.events(session.user_id, session.id, start, pieces))
    opened = await ann.press(message, "Review now", "Anything else you did?")
    assert "docs.example.org: 10 min" in opened.content
    assert "news.example.org: 4 min" in opened.content
