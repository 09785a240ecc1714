"""A device unlinking itself; its token is refused from the next request on."""

from __future__ import annotations

from fastapi import APIRouter, Response

from core.accounts.devices import revoke_device
from core.db.engine import transaction
from core.infra import events_bus
from tracker_api.deps import CallerDep, ContextDep
from tracker_api.errors import responses

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.delete("/me", status_code=204, response_class=Response, responses=responses(401, 404))
async def revoke_me(caller: CallerDep, context: ContextDep) -> None:
    """Forget this browser: its token stops working at once. Its recorded events stay."""
    async with transaction(context.resources.sessionmaker) as db:
        await revoke_device(db, caller.user_id, caller.device_id)
    await events_bus.announce_revoked(context.resources.redis, caller.user_id, caller.device_id)
