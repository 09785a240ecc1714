"""The OpenAI stub answers the real `openai` SDK like the real API does."""

from __future__ import annotations

import time

import openai
import pydantic
import pytest
from openai import AsyncOpenAI

from tests.fakes.fixtures import openai_stub
from tests.fakes.openai_stub import (
    OpenAIStub,
    bad_json,
    example_for_schema,
    ok,
    refusal,
    slow,
    status,
)

__all__ = ["openai_stub"]


class Grade(pydantic.BaseModel):
    quality: int = pydantic.Field(ge=1, le=5)
    distraction: int = pydantic.Field(ge=1, le=5)
    solutions: list[str] = pydantic.Field(min_length=3, max_length=3)


def client(stub: OpenAIStub, **kwargs: float) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=stub.url, api_key="sk-test", max_retries=0, **kwargs)  # type: ignore[arg-type]


async def grade(ai: AsyncOpenAI, text: str = "Grade this session") -> Grade | None:
    completion = await ai.chat.completions.parse(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You grade focus sessions."},
            {"role": "user", "content": text},
        ],
        response_format=Grade,
    )
    return completion.choices[0].message.parsed


async def test_default_answer_fits_the_requested_schema(openai_stub: OpenAIStub) -> None:
    parsed = await grade(client(openai_stub))
    assert parsed == Grade(quality=1, distraction=1, solutions=["stub"] * 3)
    request = openai_stub.requests[0]
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.json_schema is not None and "quality" in request.json_schema["properties"]


async def test_scripted_answers_and_recorded_prompts(openai_stub: OpenAIStub) -> None:
    answer = {"quality": 4, "distraction": 2, "solutions": ["a", "b", "c"]}
    openai_stub.enqueue(ok(answer))
    parsed = await grade(client(openai_stub), "<hosts>docs.python.org: 50 min</hosts>")
    assert parsed == Grade.model_validate(answer)
    assert "docs.python.org: 50 min" in openai_stub.prompts[0]
    assert openai_stub.requests[0].messages[0]["role"] == "system"


async def test_completion_has_openai_shape(openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(ok("plain text"))
    completion = await client(openai_stub).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    assert completion.choices[0].message.content == "plain text"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens > 0


async def test_rate_limit_raises_with_retry_after(openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(status(429, retry_after=1))
    with pytest.raises(openai.RateLimitError) as raised:
        await grade(client(openai_stub))
    assert raised.value.status_code == 429
    assert raised.value.response.headers["retry-after"] == "1"
    assert raised.value.code == "rate_limit_exceeded"


async def test_sdk_retries_honour_retry_after(openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(status(429, retry_after=0.2), status(500))
    ai = AsyncOpenAI(base_url=openai_stub.url, api_key="sk-test", max_retries=2)
    started = time.monotonic()
    assert await grade(ai) is not None
    assert time.monotonic() - started >= 0.2
    assert len(openai_stub.requests) == 3


async def test_server_errors_and_timeouts(openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(status(500), slow(1.0))
    with pytest.raises(openai.InternalServerError):
        await grade(client(openai_stub))
    with pytest.raises(openai.APITimeoutError):
        await grade(client(openai_stub, timeout=0.2))


async def test_off_schema_and_refused_answers(openai_stub: OpenAIStub) -> None:
    openai_stub.enqueue(bad_json(), refusal("I can't grade that."))
    with pytest.raises(pydantic.ValidationError):
        await grade(client(openai_stub))
    completion = await client(openai_stub).chat.completions.parse(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], response_format=Grade
    )
    message = completion.choices[0].message
    assert (message.parsed, message.refusal) == (None, "I can't grade that.")


async def test_models_and_api_key() -> None:
    async with OpenAIStub(api_key="sk-right", models=("stub-model",)) as stub:
        good = AsyncOpenAI(base_url=stub.url, api_key="sk-right", max_retries=0)
        assert [m.id async for m in good.models.list()] == ["stub-model"]
        bad = AsyncOpenAI(base_url=stub.url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await grade(bad)


def test_schema_examples_respect_constraints() -> None:
    schema = {
        "type": "object",
        "properties": {
            "kind": {"enum": ["a", "b"]},
            "score": {"type": "number", "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}, "minItems": 2},
            "note": {"anyOf": [{"type": "null"}, {"type": "string", "minLength": 6}]},
        },
        "$defs": {"Tag": {"type": "string", "maxLength": 2}},
    }
    assert example_for_schema(schema) == {
        "kind": "a",
        "score": 1.0,
        "tags": ["st", "st"],
        "note": "stubstub"[:6],
    }
