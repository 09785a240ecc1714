"""The ingest API's composition root: `create_app(settings)`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.settings import Settings
from tracker_api import errors
from tracker_api.context import ApiContext
from tracker_api.limits import BodyLimit
from tracker_api.metrics import RequestMetrics
from tracker_api.routes import devices, events, health, pairings, sessions, stream, telegram


def create_app(settings: Settings) -> FastAPI:
    telegram.check_config(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.context = context = await ApiContext.open(settings)
        app.state.resources = context.resources
        # What start-up loaded lives as long as the process: keep full collections from
        # walking it (they took up to half a second, which was most of the ingest p99).
        gc.freeze()
        try:
            async with telegram.webhook(app, settings, context.resources):
                yield
        finally:
            await context.close()

    app = FastAPI(
        title="Quality Time tracker API",
        version="1",
        summary="Pairing, focus sessions and activity ingest for the Quality Time extension.",
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit)  # inside the metrics, so refusals are counted too
    app.add_middleware(RequestMetrics)
    errors.install(app)
    for router in (health, pairings, sessions, events, stream, devices, telegram):
        app.include_router(router.router)
    return app
