"""The focus session seen from the browser: read it, start one, end it early."""

from __future__ import annotations

from fastapi import APIRouter

from core.db.engine import transaction
from core.db.models import SessionSource
from core.infra import events_bus
from core.infra.queue import queue_session_ended
from core.sessions.lifecycle import end_session, start_and_announce
from core.sessions.view import SessionView, session_view
from tracker_api.deps import CallerDep, ContextDep
from tracker_api.errors import responses
from tracker_api.schemas import SessionIn

router = APIRouter(prefix="/v1", tags=["session"])


@router.get("/session", responses=responses(401))
async def get_session(caller: CallerDep, context: ContextDep) -> SessionView:
    """Whether to record now, until when, and what never to record."""
    async with context.reader() as db:
        return await session_view(db, caller.user_id)


@router.post("/sessions", status_code=201, responses=responses(400, 401, 409, 413, 422))
async def start(body: SessionIn, caller: CallerDep, context: ContextDep) -> SessionView:
    """Start a session from the browser; the bot confirms it in Telegram."""
    resources = context.resources
    async with resources.sessionmaker() as db:
        session = await start_and_announce(
            db,
            resources.redis,
            caller.user_id,
            minutes=body.minutes,
            goal=body.goal,
            source=SessionSource.extension,
        )
        return await session_view(db, caller.user_id, session=session)


@router.post("/session/end", responses=responses(401, 404))
async def end(caller: CallerDep, context: ContextDep) -> SessionView:
    """End the running session early; it stays open for its review in Telegram."""
    async with transaction(context.resources.sessionmaker) as db:
        session = await end_session(db, caller.user_id)
        view = await session_view(db, caller.user_id, session=session)
    redis = context.resources.redis
    # The review is offered in Telegram now; the session's deferred job holds `due:{id}`.
    await queue_session_ended(redis, session.id)
    await events_bus.publish(redis, caller.user_id, events_bus.SESSION)
    return view
