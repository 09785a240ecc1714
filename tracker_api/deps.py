"""Dependencies shared by the routes: the process context and the calling device."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.models import utcnow
from core.pairing import authenticate, touch_device
from tracker_api.context import ApiContext
from tracker_api.errors import NOT_AUTHENTICATED

LAST_SEEN_EVERY = timedelta(minutes=1)  # at most one write per device and minute

bearer = HTTPBearer(auto_error=False, description="the device token from pairing")


def get_context(request: Request) -> ApiContext:
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


@dataclass(frozen=True)
class Caller:
    """The authenticated device and the user it belongs to; every query is scoped by it."""

    device_id: int
    user_id: int


async def current_device(
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or not credentials.credentials:
        raise _unauthorized()
    async with context.reader() as db:
        device = await authenticate(db, credentials.credentials)
    if device is None:
        raise _unauthorized()
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_EVERY:
        await context.writer.submit(partial(touch_device, device_id=device.id, now=now))
    return Caller(device_id=device.id, user_id=device.user_id)


def _unauthorized() -> HTTPException:
    return HTTPException(401, NOT_AUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})


CallerDep = Annotated[Caller, Depends(current_device)]
