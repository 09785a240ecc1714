"""A body limit on every route, enforced before the body is read past it.

A pure ASGI middleware: an announced `Content-Length` over the limit is answered 413 at
once, without reading a byte of the body; a body without one (chunked) is counted as it
streams in, and reading stops with 413 at the first chunk past the limit. uvicorn stops
reading from the socket while a chunk waits, so memory stays flat whatever is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.webhook_contract import PATH as WEBHOOK_PATH
from core.ingest.batch import MAX_BODY_BYTES

JSON_BODY_BYTES = 16 * 1024  # a device name, a code, a goal: a few hundred bytes at most
WEBHOOK_BODY_BYTES = 512 * 1024  # a Telegram update is a few KB; its longest text is 4096 chars
BODY_LIMITS: Mapping[str, int] = {"/v1/events": MAX_BODY_BYTES, WEBHOOK_PATH: WEBHOOK_BODY_BYTES}


def too_large(limit: int) -> str:
    """The 413 detail: what the limit is, in the unit a person would say."""
    size = f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit // 1024} KiB"
    hint = "; send fewer events per batch" if limit == MAX_BODY_BYTES else ""
    return f"the body is larger than {size}{hint}"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit))


class BodyLimit:
    """Refuses bodies over `BODY_LIMITS[path]` (else `default`) with 413 and JSON `detail`."""

    def __init__(self, app: ASGIApp, default: int = JSON_BODY_BYTES) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = BODY_LIMITS.get(scope["path"], self.default)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # FastAPI passes HTTPException on as it is
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": too_large(limit)}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not wanted
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
