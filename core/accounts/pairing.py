"""Linking a browser to a Telegram user, and the device tokens that follow.

Two ways to pair:
- the extension asks for a pairing and shows a `t.me/<bot>?start=<code>` link; the bot
  binds the code to the user; the extension then collects its token once;
- the bot's `/link` makes a code already bound to the user; the extension redeems it.

A code from the extension binds only after the user confirms in the bot (see
`find_code` and `bind_pairing`): a link that someone else made must not pair their browser
with one tap.

Codes and tokens are stored only as SHA-256 digests, a lookup by digest stays one index
hit. Tokens (256 random bits) cannot be recovered from their digests. Codes are short
enough to type (8 of 30 symbols, about 39 bits), so their digests only keep them from a
casual reader: an offline search over a copy of the database finds one in hours. What
protects a code is that it works once, for 10 minutes, guessing online is rate-limited,
and a pairing is deleted an hour after it expired (`purge_expired`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, ColumnElement, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.users import validate_timezone
from core.db.base import utcnow
from core.db.models import Device, Pairing, PairingStatus, User
from core.errors import Expired, NotFound

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: easy to type
CODE_LENGTH = 8
PAIRING_TTL = timedelta(minutes=10)
PURGE_AFTER = timedelta(hours=1)  # past its expiry, a pairing is deleted, collected or not
LAST_SEEN_EVERY = timedelta(minutes=1)  # at most one write per device and minute


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper().replace("-", "")


async def create_pairing(
    db: AsyncSession,
    *,
    device_name: str = "Browser",
    timezone: str | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> tuple[Pairing, str]:
    """A new pairing and its code (returned once, stored hashed)."""
    now = now or utcnow()
    code = new_code()
    pairing = Pairing(
        code_hash=digest(code),
        device_name=(device_name.strip() or "Browser")[:64],
        timezone=validate_timezone(timezone) if timezone else None,
        user_id=user.id if user else None,
        status=PairingStatus.bound if user else PairingStatus.pending,
        expires_at=now + PAIRING_TTL,
    )
    db.add(pairing)
    await db.flush()
    return pairing, code


async def _open_pairing_by_code(db: AsyncSession, code: str, now: datetime) -> Pairing:
    result = await db.execute(
        select(Pairing).where(Pairing.code_hash == digest(normalize_code(code)))
    )
    pairing = result.scalar_one_or_none()
    if pairing is None or pairing.status == PairingStatus.completed:
        raise NotFound("this code is unknown or already used")
    if pairing.expires_at <= now:
        raise Expired("this code has expired; make a new one")
    return pairing


async def find_code(
    db: AsyncSession, code: str, user: User, *, now: datetime | None = None
) -> Pairing:
    """The extension's pairing behind a code the user sent, not yet bound: the bot asks
    first (the device's name, what it may do), then `bind_pairing` binds it."""
    pairing = await _open_pairing_by_code(db, code, now or utcnow())
    if pairing.user_id not in (None, user.id):
        raise NotFound("this code is unknown or already used")
    return pairing


async def bind_pairing(
    db: AsyncSession, pairing_id: uuid.UUID, user: User, *, now: datetime | None = None
) -> Pairing:
    """The user confirmed: the pairing's browser now belongs to them."""
    now = now or utcnow()
    pairing = await db.get(Pairing, pairing_id, with_for_update=True)
    if pairing is None or pairing.status is PairingStatus.completed:
        raise NotFound("this code is unknown or already used")
    if pairing.user_id not in (None, user.id):
        raise NotFound("this code is unknown or already used")
    if pairing.expires_at <= now:
        raise Expired("this code has expired; make a new one")
    pairing.user_id = user.id
    pairing.status = PairingStatus.bound
    if pairing.timezone:
        user.timezone = pairing.timezone
    await db.flush()
    return pairing


async def bind_code(
    db: AsyncSession, code: str, user: User, *, now: datetime | None = None
) -> Pairing:
    """Find and bind at once, for a caller that has already asked the user."""
    pairing = await find_code(db, code, user, now=now)
    return await bind_pairing(db, pairing.id, user, now=now)


async def decline_pairing(db: AsyncSession, pairing_id: uuid.UUID, user: User) -> None:
    """ "Not me": the code stops working; the extension's polling is told it is unknown."""
    await db.execute(
        delete(Pairing).where(
            Pairing.id == pairing_id,
            Pairing.status != PairingStatus.completed,
            or_(Pairing.user_id.is_(None), Pairing.user_id == user.id),
        )
    )


async def collect_token(
    db: AsyncSession, pairing_id: uuid.UUID, *, now: datetime | None = None
) -> tuple[Pairing, str | None]:
    """The extension polls its pairing; once bound, the device is made and its token given once."""
    now = now or utcnow()
    pairing = await db.get(Pairing, pairing_id)
    if pairing is None:
        raise NotFound("unknown pairing")
    if pairing.status == PairingStatus.pending and pairing.expires_at <= now:
        raise Expired("this pairing has expired; start again")
    if pairing.status != PairingStatus.bound:
        return pairing, None
    return pairing, await _complete(db, pairing, now)


async def redeem_code(
    db: AsyncSession,
    code: str,
    *,
    device_name: str = "Browser",
    timezone: str | None = None,
    now: datetime | None = None,
) -> tuple[Pairing, str]:
    """The extension types a code the bot gave with /link."""
    now = now or utcnow()
    pairing = await _open_pairing_by_code(db, code, now)
    if pairing.status != PairingStatus.bound:
        raise NotFound("this code is unknown or already used")
    pairing.device_name = (device_name.strip() or pairing.device_name)[:64]
    if timezone:
        pairing.timezone = validate_timezone(timezone)
    return pairing, await _complete(db, pairing, now)


async def _complete(db: AsyncSession, pairing: Pairing, now: datetime) -> str:
    assert pairing.user_id is not None
    token = secrets.token_urlsafe(32)
    device = Device(
        user_id=pairing.user_id,
        name=pairing.device_name,
        token_hash=digest(token),
        last_seen_at=now,
    )
    db.add(device)
    await db.flush()
    pairing.device_id = device.id
    pairing.status = PairingStatus.completed
    if pairing.timezone:
        user = await db.get(User, pairing.user_id)
        if user is not None:
            user.timezone = pairing.timezone
    await db.flush()
    return token


def live_token(token_hash: str | BindParameter[str]) -> ColumnElement[bool]:
    """Matches the device whose token has this digest, unless it was revoked."""
    return and_(Device.token_hash == token_hash, Device.revoked_at.is_(None))


async def purge_expired(db: AsyncSession, *, now: datetime | None = None) -> int:
    """Forget pairings an hour past their expiry: used, never collected or never bound.
    They hold a device name and nothing the user needs; a bound one's token is lost."""
    now = now or utcnow()
    result = await db.execute(delete(Pairing).where(Pairing.expires_at <= now - PURGE_AFTER))
    return int(getattr(result, "rowcount", 0) or 0)
