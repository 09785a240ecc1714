"""Batch ingest of activity events (the logic is core.ingest).

The body is read as bytes and validated in one pass instead of through FastAPI's
body parameter, which would parse the JSON twice; its schema is still published.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from core.ingest import (
    MAX_BODY_BYTES,
    EventBatch,
    insert_events,
    parse_batch,
    plan_batch,
    result_of,
)
from core.models import utcnow
from tracker_api.deps import CallerDep, ContextDep
from tracker_api.errors import BODY_TOO_LARGE, responses
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


@router.post(
    "/events",
    status_code=202,
    openapi_extra=BODY_SCHEMA,
    responses=responses(401, 413, 422),
)
async def post_events(request: Request, caller: CallerDep, context: ContextDep) -> IngestOut:
    """Store a batch (at most 500 events, 1 MiB). Resending is harmless: ids already
    stored count as duplicates. Invalid events are listed in `rejected`, the rest kept."""
    raw = await read_body(request, MAX_BODY_BYTES)
    try:
        batch = parse_batch(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in errors]
        ) from None
    async with context.reader() as db:
        plan = await plan_batch(db, caller.user_id, caller.device_id, batch, utcnow())
    accepted = (
        await context.writer.submit(partial(insert_events, rows=plan.rows)) if plan.rows else 0
    )
    result = result_of(plan, accepted)
    count_ingest(result)
    return IngestOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        dropped=result.dropped,
        rejected=[RejectedEvent(index=r.index, id=r.id, reason=r.reason) for r in result.rejected],
    )
