"""Pairing a browser with a Telegram user, both ways (see core.accounts.pairing)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException

from core.accounts.pairing import collect_token, create_pairing, redeem_code
from core.db.engine import transaction
from core.db.models import PairingStatus
from tracker_api.deps import ClientAddressDep, ContextDep, too_many
from tracker_api.errors import TOO_MANY_ATTEMPTS, TOO_MANY_PAIRINGS, UNKNOWN_PAIRING, responses
from tracker_api.schemas import DeviceIn, PairingOut, PairingStatusOut, RedeemIn, TokenOut

router = APIRouter(prefix="/v1/pairings", tags=["pairing"])


@router.post("", status_code=201, responses=responses(400, 413, 422, 429))
async def start_pairing(
    body: DeviceIn, client: ClientAddressDep, context: ContextDep
) -> PairingOut:
    """A code for the bot: open `deep_link` (or send `/start <code>`), then poll the pairing.
    New pairings are rate-limited per client address."""
    wait = await context.limits.pairings.attempt(client)
    if wait is not None:
        raise too_many(wait, TOO_MANY_PAIRINGS)
    async with transaction(context.resources.sessionmaker) as db:
        pairing, code = await create_pairing(
            db, device_name=body.device_name, timezone=body.timezone
        )
    username = await context.bot_info.get_username()
    return PairingOut(
        id=str(pairing.id),
        code=code,
        deep_link=f"https://t.me/{username}?start={code}" if username else None,
        expires_at=pairing.expires_at,
    )


@router.get("/{pairing_id}", responses=responses(404, 410), response_model_exclude_none=True)
async def poll_pairing(pairing_id: str, context: ContextDep) -> PairingStatusOut:
    """`pending` until the bot binds the code; then the token, once; then `collected`."""
    try:
        key = uuid.UUID(pairing_id)
    except ValueError:
        raise HTTPException(404, UNKNOWN_PAIRING) from None
    async with transaction(context.resources.sessionmaker) as db:
        pairing, token = await collect_token(db, key)
    if token is not None:
        return PairingStatusOut(status="completed", token=token, device_id=pairing.device_id)
    if pairing.status == PairingStatus.completed:
        return PairingStatusOut(status="collected", device_id=pairing.device_id)
    return PairingStatusOut(status="pending")


@router.post("/redeem", responses=responses(400, 404, 410, 413, 422, 429))
async def redeem(body: RedeemIn, client: ClientAddressDep, context: ContextDep) -> TokenOut:
    """Trade a code from the bot's /link for a device token. Wrong codes are rate-limited
    per client address."""
    # Counted before it is tried, so parallel guesses cannot all pass one check.
    wait = await context.limits.redeem.attempt(client)
    if wait is not None:
        raise too_many(wait, TOO_MANY_ATTEMPTS)
    async with transaction(context.resources.sessionmaker) as db:
        pairing, token = await redeem_code(
            db, body.code, device_name=body.device_name, timezone=body.timezone
        )
    await context.limits.redeem.succeeded(client)
    assert pairing.device_id is not None
    return TokenOut(token=token, device_id=pairing.device_id)
