"""The two servers `bench.ingest` compares, as uvicorn factories configured by QTIME_*.

`product` is the real API. `baseline` is the bare minimum that stores the same rows:
one FastAPI endpoint, no auth, no validation, no session lookup, one
`INSERT … ON CONFLICT DO NOTHING` per request in its own transaction.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy.dialects import postgresql, sqlite

from core.db.engine import create_engine, create_sessionmaker
from core.ingest.insert import EVENTS
from core.settings import load_settings
from tracker_api.app import create_app


def product() -> FastAPI:
    return create_app(load_settings())


def baseline() -> FastAPI:
    url = load_settings().database_url
    owner = {
        "user_id": int(os.environ["BENCH_USER_ID"]),
        "device_id": int(os.environ["BENCH_DEVICE_ID"]),
        "session_id": int(os.environ["BENCH_SESSION_ID"]),
    }
    dialect = sqlite if url.startswith("sqlite") else postgresql
    insert = dialect.insert(EVENTS).on_conflict_do_nothing(index_elements=["id"])
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(url)
        state["sessionmaker"] = create_sessionmaker(engine)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/events", status_code=202)
    async def events(request: Request) -> dict[str, int]:
        body = json.loads(await request.body())
        rows = [
            {
                **owner,
                "id": uuid.UUID(e["id"]),
                "host": e["host"],
                "title": e["title"],
                "started_at": datetime.fromisoformat(e["start"]),
                "ended_at": datetime.fromisoformat(e["end"]),
                "audible": e["audible"],
                "idle": e["idle"],
            }
            for e in body["events"]
        ]
        async with state["sessionmaker"]() as db, db.begin():
            await db.execute(insert, rows)
        return {"accepted": len(rows)}

    return app
