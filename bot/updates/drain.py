"""The drainer: handles a bot's stored updates and acks each one once its work committed.

One process at a time holds the drainer lease (`bot.updates.lease`); on taking it, it claims
what a killed holder left pending, then reads new entries. Each update goes to its chat's
lane (`bot.updates.lanes`), so one chat's updates run one at a time in the order Telegram
sent them. The Dispatcher's database middleware commits before the handler returns, and
only then is the entry acked and marked done. A kill between the commit and the ack makes
the update run again: nothing is lost, and the replies its first run sent are answered
from `bot.updates.journal` instead of being sent twice.

An update whose handler raises is tried again; after `MAX_FAILURES` failures (or
`MAX_STARTS` handlings cut short by a crash) it is parked in the dead-letter stream with a
log line, and its chat moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import NamedTuple

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from redis.exceptions import RedisError, ResponseError

from bot.updates import journal
from bot.updates.inbox import Entry, Inbox, Tries
from bot.updates.lanes import Lanes
from bot.updates.lease import RENEW_SECONDS, Lease
from bot.updates.outage import Outage

log = logging.getLogger(__name__)

MAX_FAILURES = 3  # handlings that raised
MAX_STARTS = 20  # handlings started: a handler that kills its process is parked too
READ_AHEAD = 200  # entries read but not yet handled, at most
STOP_GRACE_SECONDS = 10.0


class Work(NamedTuple):
    entry: Entry
    update: Update | None  # None: not a valid update, parked at its turn
    claimed: bool  # left by a stopped or killed process: count its tries from the start


class Drainer:
    """Run `run(stop)` in every process that may handle updates; one of them will."""

    def __init__(self, bot: Bot, dispatcher: Dispatcher, inbox: Inbox) -> None:
        self.bot = bot
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.consumer = f"drainer-{uuid.uuid4().hex[:12]}"
        self.lease = Lease(inbox.redis, inbox.key + ":lease", self.consumer)
        self.lanes: Lanes[Work] = Lanes(self._handle)
        journal.watch(bot, inbox.redis)
        self.outage = Outage(log, "Redis (update inbox)")
        self._claimed = False

    async def run(self, stop: asyncio.Event) -> None:
        """Handle updates until `stop`, then finish those under way and hand back the rest."""
        try:
            while not stop.is_set():
                try:
                    await self._step()
                    self.outage.ok()
                except (RedisError, OSError) as exc:
                    await _sleep(stop, self.outage.failed(exc))
                    if isinstance(exc, ResponseError):  # NOGROUP: Redis lost its data
                        self._claimed = False
        finally:
            handed_back = await self.lanes.close(STOP_GRACE_SECONDS)
            if handed_back:
                log.info("updates handed back at stop", extra={"updates": handed_back})
            with contextlib.suppress(RedisError, OSError):
                await self.lease.release()

    async def _step(self) -> None:
        if not await self.lease.hold():
            self._claimed = False
            await self.lanes.idle()  # a lost lease: let what we took finish first
            await asyncio.sleep(RENEW_SECONDS)
            return
        if not self._claimed:
            await self.inbox.ensure_group()
            for entry in await self.inbox.claim(self.consumer):
                self._put(entry, claimed=True)
            self._claimed = True
        room = READ_AHEAD - self.lanes.waiting
        if room <= 0:
            await asyncio.sleep(0.05)
            return
        block_ms = int(RENEW_SECONDS * 1000)
        for entry in await self.inbox.read(self.consumer, room, block_ms):
            self._put(entry)

    def _put(self, entry: Entry, *, claimed: bool = False) -> None:
        try:
            update: Update | None = Update.model_validate(entry.update, context={"bot": self.bot})
        except ValueError:  # pydantic's ValidationError among them
            update = None
        self.lanes.put(_lane_of(update), Work(entry, update, claimed))

    async def _handle(self, work: Work) -> None:
        """Handle one update, then ack or park it; never raises (its lane goes on)."""
        entry, update, claimed = work
        tries = Tries(1, 0)  # a fresh entry: its first start needs no round trip
        while True:
            try:
                if claimed or tries.failed:
                    tries = await self.inbox.start(entry)
                if update is None or tries.failed >= MAX_FAILURES or tries.started > MAX_STARTS:
                    await self._park(entry, _why_parked(update, tries.failed))
                    return
                replay = claimed or tries.failed > 0
                if await self._feed(entry.update_id, update, tries.failed + 1, replay):
                    break
                await self.inbox.failed(entry)
                tries = Tries(tries.started, tries.failed + 1)
            except (RedisError, OSError) as exc:
                claimed = True  # read the tries again once Redis answers
                await asyncio.sleep(self.outage.failed(exc))
        while True:  # only the ack again: the handler's work is done
            try:
                await self.inbox.ack(entry)
                return
            except (RedisError, OSError) as exc:
                await asyncio.sleep(self.outage.failed(exc))

    async def _feed(self, update_id: int, update: Update, attempt: int, replay: bool) -> bool:
        """True once the handlers ran to the end; False after a failure worth a retry."""
        handling = await journal.begin(self.inbox.redis, self.inbox.key, update_id, replay)
        try:
            response = await self.dispatcher.feed_update(self.bot, update)
            if isinstance(response, TelegramMethod):
                await self.dispatcher.silent_call_request(self.bot, response)
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("update failed", extra={"update_id": update_id, "attempt": attempt})
            await asyncio.sleep(0.2 * attempt)
            return False
        finally:
            journal.HANDLING.reset(handling)
        return True

    async def _park(self, entry: Entry, reason: str) -> None:
        await self.inbox.park(entry, reason)
        log.error("update parked", extra={"update_id": entry.update_id, "reason": reason})


def _why_parked(update: Update | None, failed: int) -> str:
    if update is None:
        return "not an update"
    return f"failed {failed} times" if failed >= MAX_FAILURES else "cut short too often"


def _lane_of(update: Update | None) -> int:
    """The lane of an update: its chat, else its sender, else one shared lane."""
    if update is None:
        return 0
    context = UserContextMiddleware.resolve_event_context(update)
    return context.chat_id or context.user_id or 0


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
