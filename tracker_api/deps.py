"""Dependencies shared by the routes: the process context and the calling device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.accounts.devices import authenticate, touch_device
from core.accounts.pairing import LAST_SEEN_EVERY
from core.db.base import utcnow
from core.db.engine import transaction
from tracker_api.client import client_address
from tracker_api.context import ApiContext
from tracker_api.errors import NOT_AUTHENTICATED

bearer = HTTPBearer(auto_error=False, description="the device token from pairing")


async def get_context(request: Request) -> ApiContext:
    # async on purpose: FastAPI runs a plain `def` dependency in a thread pool.
    context: ApiContext = request.app.state.context
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


async def get_client_address(request: Request, context: ContextDep) -> str:
    """The caller's address for per-address limits (see tracker_api.client)."""
    limits = context.limits
    return client_address(request, limits.trusted_proxies, limits.client_ip_header)


ClientAddressDep = Annotated[str, Depends(get_client_address)]


def too_many(wait: int, detail: str) -> HTTPException:
    return HTTPException(429, detail, headers={"Retry-After": str(wait)})


@dataclass(frozen=True)
class Caller:
    """The authenticated device and the user it belongs to; every query is scoped by it."""

    device_id: int
    user_id: int


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials:
        raise unauthorized()
    return credentials.credentials


async def caller_for(context: ApiContext, token: str) -> Caller | None:
    """The device behind a live token, its last-seen time refreshed at most once a minute."""
    async with context.reader() as db:
        device = await authenticate(db, token)
    if device is None:
        return None
    now = utcnow()
    if device.last_seen_at is None or now - device.last_seen_at >= LAST_SEEN_EVERY:
        async with transaction(context.resources.sessionmaker) as db:
            await touch_device(db, device.id, now)
    return Caller(device_id=device.id, user_id=device.user_id)


async def current_device(context: ContextDep, credentials: BearerDep) -> Caller:
    caller = await caller_for(context, bearer_token(credentials))
    if caller is None:
        raise unauthorized()
    return caller


def unauthorized() -> HTTPException:
    return HTTPException(401, NOT_AUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})


CallerDep = Annotated[Caller, Depends(current_device)]
