"""Batch ingest of activity events (the logic is core.ingest.batch).

The body is read as bytes and validated in one pass instead of through FastAPI's
body parameter, which would parse the JSON twice; its schema is still published.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from core.accounts.pairing import digest
from core.db.base import utcnow
from core.ingest.batch import MAX_BODY_BYTES, EventBatch, parse_batch, screen
from core.ingest.store import store_batch
from tracker_api.context import ApiContext
from tracker_api.deps import (
    BearerDep,
    ContextDep,
    bearer_token,
    caller_for,
    too_many,
    unauthorized,
)
from tracker_api.errors import BODY_TOO_LARGE, TOO_MANY_BATCHES, responses
from tracker_api.metrics import count_ingest
from tracker_api.schemas import IngestOut, RejectedEvent

router = APIRouter(prefix="/v1", tags=["events"])


def _inline_refs(schema: Any, defs: dict[str, Any]) -> Any:
    """A JSON schema without `$defs` references, so it can sit inside the OpenAPI document."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        if ref.startswith("#/$defs/"):
            return _inline_refs(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline_refs(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, defs) for item in schema]
    return schema


_BATCH_SCHEMA = EventBatch.model_json_schema()
BODY_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": _inline_refs(_BATCH_SCHEMA, _BATCH_SCHEMA.get("$defs", {}))
            }
        },
    }
}


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (announced or not)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, BODY_TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, BODY_TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


async def _refusal(context: ApiContext, token: str, error: Exception) -> Exception:
    """An unknown token is told 401 before it learns anything about its body."""
    return error if await caller_for(context, token) else unauthorized()


@router.post(
    "/events",
    status_code=202,
    openapi_extra=BODY_SCHEMA,
    responses=responses(401, 413, 422, 429),
)
async def post_events(request: Request, credentials: BearerDep, context: ContextDep) -> IngestOut:
    """Store a batch (at most 500 events, 1 MiB). Resending is harmless: ids already
    stored count as duplicates. Invalid events are listed in `rejected`, the rest kept.
    Batches are rate-limited per device token."""
    token = bearer_token(credentials)
    wait = await context.limits.events.attempt(digest(token)[:32])  # never the token itself
    if wait is not None:
        raise too_many(wait, TOO_MANY_BATCHES)
    try:
        raw = await read_body(request, MAX_BODY_BYTES)
        batch = parse_batch(raw)
    except HTTPException as exc:
        raise await _refusal(context, token, exc) from None
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        invalid = RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors])
        raise await _refusal(context, token, invalid) from None
    now = utcnow()
    unit = partial(store_batch, token=token, screened=screen(batch, now), now=now)
    result = await context.writer.submit(unit)
    if result is None:
        raise unauthorized()
    count_ingest(result)
    return IngestOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        dropped=result.dropped,
        rejected=[RejectedEvent(index=r.index, id=r.id, reason=r.reason) for r in result.rejected],
    )
