"""/forget leaves no trace: no database row, no Redis key, no copy in Redis's append-only
file on disk; and a later user who is given the forgotten user's ids inherits nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from core.accounts.export import USER_TABLES
from core.db.engine import SessionMaker
from core.db.models import User
from core.settings import Settings
from tests.bot.conftest import Chat, PollingBot, last_session, times_up, user_of
from tests.fakes.telegram import FakeTelegram
from tests.security.redis_server import files_on_disk, redis_with_aof, rewrites_done


async def start_review(chat: Chat, db_of: SessionMaker, redis: Redis, settings: Settings,
                       goal: str, extra: str) -> None:  # fmt: skip
    """A finished session whose review form is half filled: `extra` waits in the form."""
    message = await times_up(chat, db_of, redis, settings, goal)
    await chat.press(message, "Review now", "Anything else you did?")
    await chat.say(extra, "Did you achieve your goal?")


async def park(redis: Redis, chat: Chat, text: str) -> None:
    """An update of the chat's whose handler kept failing, in the bot's dead-letter stream."""
    [inbox] = [key async for key in redis.scan_iter(match="qtime:tg:*:inbox")]
    person = {"id": chat.user.id, "is_bot": False, "first_name": "x"}
    message = {"message_id": 1, "date": 0, "chat": {"id": chat.user.id, "type": "private"},
               "from": person, "text": text}  # fmt: skip
    update = json.dumps({"update_id": 1, "message": message})
    await redis.xadd(inbox + b":parked", {"update": update, "reason": "failed 5 times"})


async def rows_of(db_of: SessionMaker, user_id: int) -> int:
    async with db_of() as db:
        total = 0
        for _, model in USER_TABLES:
            column = model.__table__.c.user_id  # type: ignore[attr-defined]
            total += await db.scalar(select(func.count()).where(column == user_id)) or 0
        return total + (await db.scalar(select(func.count()).where(User.id == user_id)) or 0)


FILES = "redis-files"


@pytest.fixture
async def aof_redis(tmp_path: Path) -> AsyncIterator[str]:
    async with redis_with_aof(tmp_path / FILES) as url:
        yield url


@pytest.fixture
def bot_settings(
    make_settings: Callable[..., Settings],
    bot_database_url: str,
    aof_redis: str,
    fake_telegram: FakeTelegram,
) -> Settings:
    """The bot on a Redis with its append-only file on, whose files the test reads."""
    return make_settings(
        database={"url": bot_database_url},
        telegram={"api_url": fake_telegram.url},
        redis={"url": aof_redis},
    )


async def test_forget_leaves_no_trace_in_the_database_redis_or_its_file(
    tmp_path: Path,
    polling_bot: PollingBot,
    fake_telegram: FakeTelegram,
    db_of: SessionMaker,
    aof_redis: str,
) -> None:
    redis = Redis.from_url(aof_redis)
    try:
        await check_forget(fake_telegram, db_of, redis, polling_bot.settings, aof_redis,
                           tmp_path / FILES)  # fmt: skip
    finally:
        await redis.aclose()


async def check_forget(
    fake: FakeTelegram, db_of: SessionMaker, redis: Redis, settings: Settings, url: str,
    files: Path,
) -> None:  # fmt: skip
    bob = Chat(fake, fake.add_user("Bob"))
    ann = Chat(fake, fake.add_user("Zelda"))
    await start_review(bob, db_of, redis, settings, "bobgoal-kept", "bobextra-kept")
    await start_review(ann, db_of, redis, settings, "anngoal-7q", "annextra-7q")
    ann_id = (await user_of(db_of, ann.user.id)).id
    ann_session = (await last_session(db_of, ann.user.id)).id
    for chat, text in ((ann, "annparked-7q"), (bob, "bobparked-kept")):
        await park(redis, chat, text)
    assert b"annextra-7q" in files_on_disk(files)  # there was something to forget
    assert [key async for key in redis.scan_iter(match=f"fsm:*:{ann.user.id}:*")]

    ask = await ann.say("/forget", "Delete everything")
    await ann.press(ask, "Delete everything", "I deleted your account")
    await rewrites_done(url)

    disk = files_on_disk(files)
    assert b"anngoal-7q" not in disk and b"annextra-7q" not in disk
    assert b"annparked-7q" not in disk
    assert b"bobextra-kept" in disk and b"bobparked-kept" in disk  # the live file; Bob's stay
    keys = [key.decode() async for key in redis.scan_iter()]
    assert not [k for k in keys if f":{ann.user.id}:" in k or k.endswith(f":{ann_session}")]
    queued = [job.decode() for job in await redis.zrange("arq:queue", 0, -1)]
    assert not [job for job in queued if job.endswith(f":{ann_session}")]
    assert await rows_of(db_of, ann_id) == 0
    assert await rows_of(db_of, (await user_of(db_of, bob.user.id)).id) > 1

    carol = Chat(fake, fake.add_user("Carol"))
    await times_up(carol, db_of, redis, settings, "carolgoal")  # her own "time's up", on time
    assert (await user_of(db_of, carol.user.id)).id > ann_id  # SQLite reuses no freed id
    assert (await last_session(db_of, carol.user.id)).id > ann_session
