"""Liveness, readiness and Prometheus metrics, outside `/v1`."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.infra.resources import Resources
from tracker_api.deps import BearerDep, ContextDep

METRICS_OFF = "metrics are off; set QTIME_API__METRICS_TOKEN to read them with that Bearer token"
METRICS_REFUSED = "wrong or missing metrics token"

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "the database or Redis does not answer"}})
async def readyz(request: Request) -> JSONResponse:
    """The database and Redis answer; 503 names the one that does not."""
    resources: Resources = request.app.state.resources
    checks: dict[str, Any] = {}
    try:
        async with resources.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except (SQLAlchemyError, OSError) as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await resources.redis.ping()
        checks["redis"] = "ok"
    except (RedisError, OSError) as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, **checks}, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(context: ContextDep, credentials: BearerDep) -> Response:
    """Prometheus text, for a scraper holding `QTIME_API__METRICS_TOKEN` as its Bearer
    token; without that setting nobody reads them."""
    expected = context.metrics_token.get_secret_value() if context.metrics_token else ""
    if not expected:
        raise HTTPException(403, METRICS_OFF)
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, METRICS_REFUSED, headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
