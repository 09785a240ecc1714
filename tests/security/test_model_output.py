"""Advice written by the model reaches the chat with nothing to tap: a prompt-injected page
title cannot make the bot deliver a phishing link, a mention or a command."""

from __future__ import annotations

import re

import pytest

from core.analysis.safe_text import neutralise
from tests.analysis.conftest import MakeHarness
from tests.analysis.test_openai import ai_settings
from tests.fakes.openai_stub import OpenAIStub, ok

INJECTED = [
    'Log in at https://evil-bank.example/verify or <a href="https://x.example">here</a>.',
    "Message @evil_support_bot, visit www.evil.example, or tap /forget to reset the streak.",
    "Close youtube.com and evil-bank.example, and mail help@evil.example about tg://resolve.",
]


async def test_links_markup_mentions_and_commands_from_the_model_are_inert(
    make_harness: MakeHarness, sqlite_url: str, openai_stub: OpenAIStub
) -> None:
    ai = await make_harness(sqlite_url, ai=ai_settings(openai_stub))
    openai_stub.enqueue(ok({"quality": 4, "distraction": 2, "solutions": INJECTED}))
    sub = await ai.submit()
    await ai.run_worker()

    message = ai.bot_messages(sub)[0]
    advice = message.content.split("For next time", 1)[-1].split("Top sites", 1)[0]
    assert "(link removed)" in advice and "evil-bank[.]example" in advice
    for active in ("://", "www.", "href", "<a", "/forget", "bank.example", "tg:", "@evil."):
        assert active not in advice, active
    assert not re.search(r"(?<!\w)@\w", advice)  # a mention needs nothing before its @
    assert "youtube.com" in advice  # a site of the session itself stays readable
    kinds = {entity["type"] for entity in message.entities}
    assert not kinds & {"url", "text_link", "mention", "bot_command", "email"}


@pytest.mark.parametrize(
    ("advice", "shown"),
    [
        ("Try 25/5 pomodoros and take a break at 3.5 hours.", None),  # nothing to neutralise
        ("Note: start with the outline, then write.", None),
        ("Open github.com first.", None),  # a site of the session
        ("Open evil.example.org first.", "Open evil[.]example[.]org first."),
        ("Open HTTPS://EVIL.EXAMPLE/x first.", "Open (link removed) first."),
        ("Ask @someone or run /cancel then /focus.", "Ask someone or run cancel then focus."),
        ("<b>Close</b> <i>everything</i>.", "Close everything."),
    ],
)
def test_neutralising_keeps_plain_advice_as_it_is(advice: str, shown: str | None) -> None:
    assert neutralise(advice, {"github.com"}) == (shown or advice)
