"""A stub OpenAI-compatible server that the real `openai` SDK talks to over HTTP.

    async with OpenAIStub() as ai:
        ai.enqueue(status(429, retry_after=1), ok({"quality": 4}))
        client = AsyncOpenAI(base_url=ai.url, api_key="test", max_retries=0)

With nothing queued it answers `default(request)`; the built-in default fills
any `json_schema` response_format with a minimal valid instance.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.openai_schema import example_for_schema
from tests.fakes.server import LocalServer

__all__ = [
    "Behaviour",
    "OpenAIStub",
    "RecordedRequest",
    "bad_json",
    "example_for_schema",
    "ok",
    "refusal",
    "slow",
    "status",
]

_ERRORS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    429: (
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests per min (RPM). Please try again in {retry_after}s.",
    ),
    500: (
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
}


@dataclass(frozen=True)
class Behaviour:
    """How the stub answers one chat completion request."""

    kind: str  # "ok" | "status" | "slow" | "refusal"
    content: str | None = None
    code: int = 200
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    then: Behaviour | None = None
    finish_reason: str = "stop"


def ok(content: str | dict[str, Any] | list[Any], *, finish_reason: str = "stop") -> Behaviour:
    """A successful answer; dicts and lists are sent as JSON text."""
    text = content if isinstance(content, str) else json.dumps(content)
    return Behaviour("ok", text, finish_reason=finish_reason)


def status(code: int, *, retry_after: float | None = None, message: str | None = None) -> Behaviour:
    """An OpenAI-shaped error; 429 carries `Retry-After` when `retry_after` is given."""
    return Behaviour("status", code=code, retry_after=retry_after, message=message)


def slow(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Wait `seconds` before answering with `then` (or the default answer)."""
    return Behaviour("slow", seconds=seconds, then=then)


def bad_json(content: str = '{"unexpected": "shape"}') -> Behaviour:
    """A 200 answer whose content does not match the requested schema."""
    return Behaviour("ok", content)


def refusal(text: str = "I'm sorry, I can't help with that.") -> Behaviour:
    """A structured-output refusal: `content` null, `refusal` set."""
    return Behaviour("refusal", text)


@dataclass
class RecordedRequest:
    """One request the stub received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.time)

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def prompt(self) -> str:
        """All message contents joined, for `in` assertions."""
        return "\n".join(_text(m.get("content")) for m in self.messages)

    @property
    def json_schema(self) -> dict[str, Any] | None:
        response_format = self.body.get("response_format") or {}
        if response_format.get("type") != "json_schema":
            return None
        schema = response_format.get("json_schema", {}).get("schema")
        return schema if isinstance(schema, dict) else None


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def schema_answer(request: RecordedRequest) -> Behaviour:
    """The built-in default: valid JSON for a json_schema request, else a short text."""
    schema = request.json_schema
    return ok(example_for_schema(schema)) if schema is not None else ok("stub reply")


def _error(code: int, message: str | None, retry_after: float | None) -> web.Response:
    kind, error_code, template = _ERRORS.get(code, ("server_error", None, "Error."))
    text = message or template.format(retry_after=retry_after or 1)
    body = {"error": {"message": text, "type": kind, "param": None, "code": error_code}}
    headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
    return web.json_response(body, status=code, headers=headers)


class OpenAIStub(LocalServer):
    """Chat completions and models endpoints with scripted answers, recording requests."""

    shutdown_timeout = 0.5  # a `slow()` answer must not hold up the test's teardown

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: Callable[[RecordedRequest], Behaviour] = schema_answer,
        api_key: str | None = None,
        models: tuple[str, ...] = ("gpt-4o-mini",),
    ) -> None:
        super().__init__(host, port)
        self.default = default
        self.api_key = api_key
        self.models = models
        self.requests: list[RecordedRequest] = []
        self.queue: deque[Behaviour] = deque()

    @property
    def url(self) -> str:
        """The SDK's `base_url` (ends in /v1)."""
        return f"{self.base_url}/v1"

    def enqueue(self, *behaviours: Behaviour) -> None:
        """Answer the next requests with these behaviours, in order."""
        self.queue.extend(behaviours)

    @property
    def prompts(self) -> list[str]:
        return [r.prompt for r in self.requests if r.path.endswith("/chat/completions")]

    def app(self) -> web.Application:
        app = web.Application()
        for prefix in ("/v1", ""):
            app.router.add_post(f"{prefix}/chat/completions", self._completions)
            app.router.add_get(f"{prefix}/models", self._models)
        return app

    def _unauthorized(self, request: web.Request) -> bool:
        expected = f"Bearer {self.api_key}"
        return self.api_key is not None and request.headers.get("Authorization") != expected

    async def _models(self, request: web.Request) -> web.Response:
        if self._unauthorized(request):
            return _error(401, None, None)
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "stub"}
            for m in self.models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _completions(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.", None)
        recorded = RecordedRequest(request.path, dict(request.headers), body)
        self.requests.append(recorded)
        if self._unauthorized(request):
            return _error(401, None, None)
        if not body.get("model"):
            return _error(400, "you must provide a model parameter", None)
        if not isinstance(body.get("messages"), list):
            return _error(400, "Missing required parameter: 'messages'.", None)
        behaviour = self.queue.popleft() if self.queue else self.default(recorded)
        while behaviour.kind == "slow":
            await asyncio.sleep(behaviour.seconds)
            behaviour = behaviour.then or self.default(recorded)
        if behaviour.kind == "status":
            return _error(behaviour.code, behaviour.message, behaviour.retry_after)
        return web.json_response(_completion(recorded, behaviour))


def _completion(request: RecordedRequest, behaviour: Behaviour) -> dict[str, Any]:
    is_refusal = behaviour.kind == "refusal"
    content = None if is_refusal else behaviour.content
    prompt_tokens = len(request.prompt) // 4 + 1
    completion_tokens = len(behaviour.content or "") // 4 + 1
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.body.get("model"),
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": behaviour.content if is_refusal else None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": behaviour.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "service_tier": "default",
        "system_fingerprint": "fp_stub",
    }
