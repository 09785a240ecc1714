"""The ingest API's composition root: `create_app(settings)`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from core.resources import Resources
from core.settings import Settings
from tracker_api.routes import health


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.resources = Resources.open(settings)
        try:
            yield
        finally:
            await app.state.resources.close()

    app = FastAPI(
        title="Quality Time tracker API",
        version="1",
        summary="Pairing, focus sessions and activity ingest for the Quality Time extension.",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    return app
