"""Periodic clean-up of data that has outlived its use."""

from __future__ import annotations

import logging
from typing import Any

from core.accounts import pairing
from core.db.engine import transaction

log = logging.getLogger(__name__)


async def purge_expired_pairings(ctx: dict[str, Any]) -> int:
    async with transaction(ctx["resources"].sessionmaker) as db:
        purged = await pairing.purge_expired(db)
    if purged:
        log.info("purged expired pairings", extra={"count": purged})
    return purged
