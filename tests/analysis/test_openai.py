"""The `openai` analyser through the whole path, against a stub OpenAI server over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from core.db.models import User
from tests.analysis.conftest import Harness, MakeHarness
from tests.fakes.openai_stub import OpenAIStub, bad_json, ok, refusal, slow, status

ADVICE = [
    "Close youtube.com before you start, since it took 15 minutes.",
    "Keep github.com as your only open tab for the first 40 minutes.",
    "Write the first step of chapter 2 down before the timer starts.",
]
GOOD = ok({"quality": 4, "distraction": 2, "solutions": ADVICE})


@pytest.fixture
async def ai(make_harness: MakeHarness, sqlite_url: str, openai_stub: OpenAIStub) -> Harness:
    return await make_harness(sqlite_url, ai=ai_settings(openai_stub))


def ai_settings(stub: OpenAIStub, **extra: Any) -> dict[str, Any]:
    return {"provider": "openai", "base_url": stub.url, "api_key": "sk-test", "timeout": 2} | extra


async def test_the_ai_grades_the_session_and_the_message_says_so(
    ai: Harness, openai_stub: OpenAIStub
) -> None:
    openai_stub.enqueue(GOOD)
    sub = await ai.submit(quality=3, distraction=2)
    await ai.run_worker()

    text = ai.bot_messages(sub)[0].content
    assert "You  AI" in text and "Quality     3/5  4/5" in text
    assert all(sentence in text for sentence in ADVICE)
    assert "could not be reached" not in text
    analysis = await ai.analysis(sub.review_id)
    assert (analysis.analyser, analysis.attempts, analysis.fallback) == ("gpt-4o-mini", 1, False)
    assert openai_stub.requests[0].json_schema is not None  # structured output was asked for


async def test_a_429_is_retried_after_the_wait_the_server_asked_for(
    ai: Harness, openai_stub: OpenAIStub
) -> None:
    openai_stub.enqueue(status(429, retry_after=1), GOOD)
    sub = await ai.submit()
    await ai.run_worker()

    first, second = openai_stub.requests
    assert second.at - first.at >= 1.0
    assert ADVICE[0] in ai.bot_messages(sub)[0].content
    assert (await ai.analysis(sub.review_id)).attempts == 2


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        bad_json(),
        ok({"quality": 9, "distraction": 2, "solutions": ADVICE}),
        ok({"quality": 3, "distraction": 2, "solutions": ADVICE[:2]}),
        ok({"quality": 3, "distraction": 2, "solutions": ["Do this. Then that.", *ADVICE[1:]]}),
        refusal(),
        slow(3),  # longer than the 2 s timeout
    ],
    ids=["5xx", "schema", "grade-range", "two-sentences", "run-on", "refusal", "timeout"],
)
async def test_a_failed_attempt_is_retried(
    ai: Harness, openai_stub: OpenAIStub, failure: Any
) -> None:
    openai_stub.enqueue(failure, GOOD)
    sub = await ai.submit()
    await ai.run_worker()
    assert ADVICE[0] in ai.bot_messages(sub)[0].content
    analysis = await ai.analysis(sub.review_id)
    assert (analysis.attempts, analysis.fallback, analysis.analyser) == (2, False, "gpt-4o-mini")


async def test_when_the_tries_run_out_the_local_analyser_answers_and_says_so(
    ai: Harness, openai_stub: OpenAIStub
) -> None:
    openai_stub.enqueue(status(500), status(503), bad_json())
    sub = await ai.submit()
    await ai.run_worker()

    text = ai.bot_messages(sub)[0].content
    assert "The AI could not be reached, so the local analyser graded this session." in text
    assert "You  Measured" in text and ADVICE[0] not in text
    analysis = await ai.analysis(sub.review_id)
    assert (analysis.analyser, analysis.fallback) == ("local", True)
    assert len(openai_stub.requests) == 3


async def test_a_wrong_key_falls_back_at_once(ai: Harness, openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(status(401))
    sub = await ai.submit()
    await ai.run_worker()
    assert "could not be reached" in ai.bot_messages(sub)[0].content
    assert len(openai_stub.requests) == 1


async def test_a_user_who_turned_ai_off_is_graded_locally(
    ai: Harness, openai_stub: OpenAIStub
) -> None:
    sub = await ai.submit(queue=False)
    async with ai.resources.sessionmaker() as db, db.begin():
        user = await db.get(User, sub.user_id)
        assert user is not None
        user.ai_enabled = False
    assert await ai.enqueue(sub.review_id)
    await ai.run_worker()
    assert "You  Measured" in ai.bot_messages(sub)[0].content
    assert openai_stub.requests == []


async def test_the_prompt_carries_no_url(ai: Harness, openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(GOOD)
    sub = await ai.submit(
        goal="read https://intranet.example.com/spec?token=s3cret notes",
        note="see www.example.org/page and example.net/a/b",
        events=(("github.com", 0, 30, {"title": "Pull request http://x.io/1"}),),
    )
    await ai.run_worker()
    assert ai.bot_messages(sub)[0].content.startswith("🧠 Session analysis")
    [prompt] = openai_stub.prompts
    for fragment in ("://", "www.", "s3cret", "example.org/", "example.net/", "Pull request"):
        assert fragment not in prompt
    assert "github.com" in prompt and "[link]" in prompt
