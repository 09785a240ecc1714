"""From the Submit button to the result in the chat: the bot, Redis, the worker, the analyser.

Once with the local analyser, once with `openai` pointed at the stub OpenAI server.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from redis.asyncio import Redis

from core.db.engine import SessionMaker
from core.settings import Settings
from tests.bot.conftest import (
    Chat,
    PollingBot,
    add_events,
    fill_form,
    last_session,
    no_errors,
    queued,
    run_jobs,
    times_up,
)
from tests.fakes.openai_stub import OpenAIStub, ok
from tests.fakes.telegram import FakeTelegram

ADVICE = [
    "Block youtube.com for the whole session, since it took 6 of your 25 minutes.",
    "Keep github.com in the only open window while you write.",
    "Write down the first paragraph of chapter 2 before the timer starts.",
]


@pytest.fixture(params=["local", "openai"])
def bot_settings(
    request: pytest.FixtureRequest,
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    redis: Redis,
    fake_telegram: FakeTelegram,
    openai_stub: OpenAIStub,
) -> Settings:
    ai = {"provider": "openai", "base_url": openai_stub.url, "api_key": "sk-test", "timeout": 2}
    return make_settings(
        database={"url": bot_database_url},
        telegram={"api_url": fake_telegram.url},
        ai=ai if request.param == "openai" else {},
    )


async def test_submit_turns_the_form_into_the_analysis(
    polling_bot: PollingBot,
    fake_telegram: FakeTelegram,
    redis: Redis,
    db_of: SessionMaker,
    openai_stub: OpenAIStub,
) -> None:
    settings = polling_bot.settings
    by_ai = settings.ai.provider.value == "openai"
    openai_stub.enqueue(ok({"quality": 4, "distraction": 3, "solutions": ADVICE}))
    alice = Chat(fake_telegram, fake_telegram.add_user("Alice"))
    with no_errors(fake_telegram):
        message = await times_up(alice, db_of, redis, settings, "write chapter 2")
        session = await last_session(db_of, alice.user.id)
        await add_events(db_of, session, {"github.com": 15, "youtube.com": 6})
        summary = await fill_form(alice, message, quality="4")
        await alice.press(summary, "Submit ✓", "Analysing your session")
        await queued(redis, "arq:job:analyze:*")  # the bot queues it right after the edit
        await run_jobs(settings, redis)
        result = await fake_telegram.wait_for_text(alice.user, "Session analysis")

    assert result.message_id == message.message_id  # the form became the result
    assert len(fake_telegram.bot_messages(alice.user)) == 2  # "Focus on …" and this one
    text = result.content
    assert ("You  AI" if by_ai else "You  Measured") in text
    assert "Quality     4/5" in text and "Distraction 2/5" in text  # the self-grades
    assert "github.com 15 min" in text and "youtube.com 6 min" in text
    assert "could not be reached" not in text
    advice = text.split("For next time")[1].split("📊")[0]
    assert sum(line[:3] in ("1. ", "2. ", "3. ") for line in advice.strip().splitlines()) == 3
    if by_ai:
        assert all(sentence in text for sentence in ADVICE)
        assert len(openai_stub.requests) == 1
    else:
        assert openai_stub.requests == []
