"""/forget beyond the database: every Redis key of the user, and Redis's own files.

Read `traces` before the rows are deleted (it needs their ids), delete the rows, then
`erase_redis`. What goes from Redis:
- the user's queued, deferred, running and finished jobs (`arq:job|result|in-progress|retry`
  and their place in `arq:queue`), so a later user given a reused id inherits nothing;
- the bot's conversation state (aiogram FSM: unfinished forms with goals and notes);
- the rate-limit counters kept for the user, their chat and their devices;
- their updates parked in the bot's dead-letter stream (an update whose handling kept
  failing is kept there for the operator, with the message's text);
- and, when the append-only file is on, its old copies of all of this: Redis rewrites the
  file from what it holds now (BGREWRITEAOF), so deleted values leave the disk too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TypeVar

from arq.constants import (
    default_queue_name,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.models import Device, FocusSession, Review, User, WeeklyReport
from core.infra import queue

log = logging.getLogger(__name__)
PARKED_UPDATES = "qtime:tg:*:inbox:parked"  # bot.updates.inbox's dead-letter streams
REBUILD_TRIES = 3
JOB_PREFIXES = (job_key_prefix, result_key_prefix, in_progress_key_prefix, retry_key_prefix)
REWRITE_WAIT_STEPS = 50
REWRITE_WAIT_STEP = 0.2  # seconds; a rewrite of the product's few MB takes milliseconds
T = TypeVar("T")


@dataclass(frozen=True)
class Traces:
    """What names the user's keys in Redis."""

    user_id: int
    telegram_id: int
    chat_id: int
    session_ids: list[int]
    review_ids: list[int]
    report_weeks: list[str]
    device_ids: list[int]
    token_hashes: list[str]

    def job_ids(self) -> list[str]:
        """Every job id the product gives the user's work."""
        ids = [queue.export_job_id(self.user_id)]
        ids += [queue.report_job_id(self.user_id, week) for week in self.report_weeks]
        ids += [queue.analyze_job_id(review) for review in self.review_ids]
        for session in self.session_ids:
            ids += [job_id(session) for job_id in queue.SESSION_JOB_IDS]
        return ids

    def keys(self) -> list[str]:
        """The exact keys; `patterns` finds the rest."""
        keys = [prefix + job for job in self.job_ids() for prefix in JOB_PREFIXES]
        keys += [f"qtime:notice:started:{session}" for session in self.session_ids]
        keys.append(f"qtime:limit:link-code:{self.telegram_id}")
        keys += [f"qtime:hold:streams:{device}" for device in self.device_ids]
        keys += [f"qtime:limit:events:{token_hash[:32]}" for token_hash in self.token_hashes]
        return keys

    def patterns(self) -> list[str]:
        chat, user = self.chat_id, self.telegram_id
        return [
            f"fsm:*:{chat}:{user}:*",  # aiogram's keys: bot, chat, [thread,] user, ...
            f"fsm:*:{chat}:*:{user}:*",
            f"qtime:tg:send:*:chat:{chat}",
        ]


async def traces(db: AsyncSession, user: User) -> Traces:
    """The user's ids that name Redis keys; read before their rows are deleted."""

    async def column(query: Select[T]) -> list[T]:
        return list((await db.scalars(query)).all())

    devices = (
        await db.execute(select(Device.id, Device.token_hash).where(Device.user_id == user.id))
    ).all()
    return Traces(
        user_id=user.id,
        telegram_id=user.telegram_id,
        chat_id=user.chat_id,
        session_ids=await column(select(FocusSession.id).where(FocusSession.user_id == user.id)),
        review_ids=await column(select(Review.id).where(Review.user_id == user.id)),
        report_weeks=await column(
            select(WeeklyReport.iso_week).where(WeeklyReport.user_id == user.id)
        ),
        device_ids=[device_id for device_id, _ in devices],
        token_hashes=[token_hash for _, token_hash in devices],
    )


async def erase_redis(redis: Redis, found: Traces) -> int:
    """Delete the user's keys and rewrite the append-only file; how many keys went."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zrem(default_queue_name, *found.job_ids())
            pipe.delete(*found.keys())
            deleted = int((await pipe.execute())[-1])
        for pattern in found.patterns():
            matched = [key async for key in redis.scan_iter(match=pattern, count=1000)]
            if matched:
                deleted += int(await redis.delete(*matched))
        deleted += await _drop_parked_updates(redis, {found.telegram_id, found.chat_id})
    except (RedisError, OSError) as exc:
        # Rare (Redis is down while the database is up); FSM keys expire within a week,
        # jobs find no user and end.
        log.warning("Redis keys of a forgotten user kept", extra={"error": type(exc).__name__})
        return 0
    await rewrite_append_only_file(redis)
    return deleted


async def _drop_parked_updates(redis: Redis, ids: set[int]) -> int:
    """Delete the parked updates (bot.updates.inbox, at most a thousand per bot) that came
    from or went to the user. XDEL would only mark them: a stream keeps deleted entries'
    bytes while others share their node, and a rewrite would copy them to disk. So the
    stream is rebuilt from the others, with their ids, in one transaction."""
    dropped = 0
    async for stream in redis.scan_iter(match=PARKED_UPDATES, count=1000):
        for _ in range(REBUILD_TRIES):
            try:
                dropped += await _rebuild_without(redis, stream, ids)
                break
            except WatchError:
                continue  # an update was parked meanwhile: read the stream again
    return dropped


async def _rebuild_without(redis: Redis, stream: bytes, ids: set[int]) -> int:
    async with redis.pipeline(transaction=True) as pipe:
        await pipe.watch(stream)
        entries = await pipe.xrange(stream)
        kept = [(entry, fields) for entry, fields in entries if not _concerns(fields, ids)]
        if len(kept) == len(entries):
            return 0
        pipe.multi()  # type: ignore[no-untyped-call]  # unannotated in redis-py
        pipe.delete(stream)
        for entry, fields in kept:
            pipe.xadd(stream, fields, id=entry)
        await pipe.execute()
    return len(entries) - len(kept)


def _concerns(fields: dict[bytes, bytes], ids: set[int]) -> bool:
    """Whether a stored update names one of `ids` as its sender, user or chat."""
    try:
        update = json.loads(fields.get(b"update", b"{}"))
    except ValueError:
        return False
    found: list[object] = [update]
    while found:
        item = found.pop()
        if isinstance(item, dict):
            for key in ("from", "user", "chat"):
                who = item.get(key)
                if isinstance(who, dict) and who.get("id") in ids:
                    return True
            found.extend(item.values())
        elif isinstance(item, list):
            found.extend(item)
    return False


async def rewrite_append_only_file(redis: Redis) -> bool:
    """Ask Redis to rewrite its append-only file from what it holds now, if it keeps one.

    A rewrite already under way started from a copy taken before the deletes, so this one
    waits for it and starts a fresh one. A managed Redis may refuse (no AOF, or the command
    disabled): then its operator's retention applies, as the README says.
    """
    try:
        for _ in range(REWRITE_WAIT_STEPS):
            persistence = await redis.info("persistence")
            if not int(persistence.get("aof_enabled", 0)):
                return False
            if not int(persistence.get("aof_rewrite_in_progress", 0)):
                await redis.bgrewriteaof()  # type: ignore[no-untyped-call]  # unannotated in redis-py
                return True
            await asyncio.sleep(REWRITE_WAIT_STEP)
        log.warning("append-only file not rewritten: a rewrite took too long")
        return False
    except (RedisError, OSError) as exc:
        log.warning("append-only file not rewritten", extra={"error": type(exc).__name__})
        return False
