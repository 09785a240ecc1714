"""The `openai` analyser: chat completions with structured output, at any compatible server.

One request per call: the SDK's own retries are off (`max_retries=0`) because the job
retries with backoff across worker restarts, and the timeout fits inside the job's.
Every failure becomes `AnalyserFailed`, with `retry_after` when the server sent one.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import openai
import pydantic
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field

from core.analysis.base import SOLUTION_COUNT, AnalysisInput, Verdict, checked
from core.analysis.prompt import build_prompt
from core.errors import AnalyserFailed
from core.settings import AISettings

TEMPERATURE = 0.2
MAX_COMPLETION_TOKENS = 600
RETRYABLE_STATUS = frozenset({408, 409, 429})


class VerdictSchema(BaseModel):
    """The answer the model must give; the SDK sends it as a strict JSON schema."""

    model_config = ConfigDict(extra="forbid")

    quality: int = Field(ge=1, le=5, description="session quality, 1 poor to 5 excellent")
    distraction: int = Field(ge=1, le=5, description="distraction, 1 none to 5 constant")
    solutions: list[str] = Field(
        min_length=SOLUTION_COUNT,
        max_length=SOLUTION_COUNT,
        description="exactly three one-sentence suggestions for the next session",
    )


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait (`retry-after-ms`, `retry-after` secs or date)."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


def create_client(settings: AISettings) -> AsyncOpenAI:
    key = settings.api_key.get_secret_value() if settings.api_key else "unset"
    return AsyncOpenAI(
        base_url=settings.base_url, api_key=key, timeout=settings.timeout, max_retries=0
    )


class OpenAIAnalyser:
    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self.client = client
        self.name = model

    async def analyse(self, data: AnalysisInput) -> Verdict:
        system, user = build_prompt(data)
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        try:
            completion = await self.client.chat.completions.parse(
                model=self.name,
                messages=messages,
                response_format=VerdictSchema,
                temperature=TEMPERATURE,
                max_completion_tokens=MAX_COMPLETION_TOKENS,
            )
        except openai.APIStatusError as exc:
            retryable = exc.status_code >= 500 or exc.status_code in RETRYABLE_STATUS
            raise AnalyserFailed(
                f"HTTP {exc.status_code}",
                retryable=retryable,
                retry_after=retry_after(exc.response.headers),
            ) from None
        except openai.APITimeoutError:
            raise AnalyserFailed("timed out") from None
        except openai.APIConnectionError:
            raise AnalyserFailed("unreachable") from None
        except (
            pydantic.ValidationError,
            openai.LengthFinishReasonError,
            openai.ContentFilterFinishReasonError,
        ) as exc:
            raise AnalyserFailed(f"answer outside the schema ({type(exc).__name__})") from None
        message = completion.choices[0].message if completion.choices else None
        if message is None or message.parsed is None:
            reason = "refused" if message is not None and message.refusal else "empty answer"
            raise AnalyserFailed(reason)
        answer = message.parsed
        hosts = {entry.host for entry in data.metrics.top_hosts}
        verdict = Verdict(answer.quality, answer.distraction, tuple(answer.solutions), self.name)
        return checked(verdict, hosts)
