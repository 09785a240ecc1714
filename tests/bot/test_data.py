"""The user's data and settings: /export, /forget, /link, /devices, /settings."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select

from bot import texts
from bot.handlers import devices as devices_handlers
from core.accounts.pairing import create_pairing
from core.db.engine import SessionMaker, transaction
from core.db.models import ActivityEvent, Analysis, Device, FocusSession, Review, User
from core.infra import events_bus
from jobs import export as export_job
from tests.bot.conftest import (
    Chat,
    PollingBot,
    add_events,
    fill_form,
    last_session,
    queued,
    run_jobs,
    times_up,
    user_of,
)
from tests.fakes.telegram import FakeTelegram


async def reviewed_session(
    chat: Chat, db_of: SessionMaker, redis: Redis, bot: PollingBot, goal: str
) -> None:
    message = await times_up(chat, db_of, redis, bot.settings, goal)
    await add_events(db_of, await last_session(db_of, chat.user.id), {f"{goal}.example.org": 4})
    summary = await fill_form(chat, message)
    await chat.press(summary, "Submit ✓", "Analysing")


async def exported(chat: Chat, bot: PollingBot, redis: Redis) -> tuple[str, bytes]:
    """/export, the worker's turn, and the file that arrives: its name and content."""
    await chat.say("/export", "Preparing your data")
    await queued(redis, "arq:job:export:*")
    await run_jobs(bot.settings, redis)
    sent = await chat.fake.wait_for_text(chat.user, "All your Quality Time data")
    document = sent.document
    assert document is not None and document.filename
    return document.filename, document.data


async def test_export_has_the_users_data_and_nobody_elses(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    bob = Chat(fake_telegram, fake_telegram.add_user("Bob"))
    await reviewed_session(ann, db_of, redis, polling_bot, "annwork")
    await reviewed_session(bob, db_of, redis, polling_bot, "bobwork")
    name, data = await exported(ann, polling_bot, redis)
    assert name.endswith(".json")
    exported_data = json.loads(data)
    ann_id = (await user_of(db_of, ann.user.id)).id
    assert exported_data["user"]["telegram_id"] == ann.user.id
    assert [s["goal"] for s in exported_data["sessions"]] == ["annwork"]
    assert [e["host"] for e in exported_data["events"]] == ["annwork.example.org"]
    assert len(exported_data["reviews"]) == 1 and len(exported_data["analyses"]) == 1
    for kind in ("sessions", "events", "reviews", "analyses", "devices", "host_rules"):
        assert all(row["user_id"] == ann_id for row in exported_data[kind])
    assert "bobwork" not in data.decode() and "token_hash" not in data.decode()


async def test_an_export_too_large_for_telegram_arrives_gzipped(
    polling_bot: PollingBot,
    fake_telegram: FakeTelegram,
    redis: Redis,
    db_of: SessionMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await reviewed_session(ann, db_of, redis, polling_bot, "annwork")
    _, plain = await exported(ann, polling_bot, redis)
    monkeypatch.setattr(export_job, "UPLOAD_LIMIT", len(plain) // 2)  # as 50 MB would be
    name, packed = await exported(ann, polling_bot, redis)
    assert name.endswith(".json.gz") and len(packed) < len(plain) // 2
    assert json.loads(gzip.decompress(packed))["sessions"] == json.loads(plain)["sessions"]


async def test_forget_deletes_everything_after_confirmation(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, redis: Redis, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    bob = Chat(fake_telegram, fake_telegram.add_user("Bob"))
    await reviewed_session(ann, db_of, redis, polling_bot, "annwork")
    await reviewed_session(bob, db_of, redis, polling_bot, "bobwork")
    ask = await ann.say("/forget", "Delete everything")
    await ann.press(ask, "Keep my data", "Nothing was deleted.")
    ask = await ann.say("/forget", "Delete everything")
    done = await ann.press(ask, "Delete everything", "I deleted your account")
    assert "1 sessions, 1 activity records, 1 reviews, 1 analyses" in done.content
    async with db_of() as db:
        counts = {
            model.__name__: await db.scalar(select(func.count()).select_from(model))
            for model in (User, FocusSession, ActivityEvent, Review, Analysis)
        }
    assert counts == dict.fromkeys(counts, 1)  # Bob's, and only Bob's
    assert (await user_of(db_of, bob.user.id)).first_name == "Bob"


async def test_linking_by_deep_link_and_by_code_with_guessing_limited(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    async with transaction(db_of) as db:
        _, code = await create_pairing(db, device_name="Work laptop", timezone="Europe/Berlin")
    asked = await ann.say(f"/start {code}", "asks to be linked")
    assert "Work laptop" in asked.content
    linked = await ann.press(asked, "Link", "Linked!")
    assert "Work laptop" in linked.content
    assert (await user_of(db_of, ann.user.id)).timezone == "Europe/Berlin"
    for _ in range(5):
        await ann.say("/link AAAA-BBBB", "unknown or already used")
    async with transaction(db_of) as db:
        _, code = await create_pairing(db, device_name="Home")
    await ann.say(f"/link {code}", "Too many wrong codes")
    given = await ann.say("/link", "Type this code into the Quality Time extension")
    assert len(given.content.split("\n\n")[1]) == 9  # XXXX-XXXX


async def test_devices_are_listed_and_revoked(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, db_of: SessionMaker, redis: Redis
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/devices", "No browser is linked")
    user = await user_of(db_of, ann.user.id)
    async with transaction(db_of) as db:
        laptop = Device(user_id=user.id, name="Laptop <1>", token_hash="a" * 64)
        db.add_all([laptop, Device(user_id=user.id, name="Desktop", token_hash="b" * 64)])
    listed = await ann.say("/devices", "Linked browsers")
    assert "Laptop <1>: last seen never" in listed.content
    async with events_bus.subscription(redis, user.id) as announced:
        await ann.press(listed, "Revoke Laptop <1>", "Desktop")
        async with asyncio.timeout(5):  # the laptop's open live view is told to close
            message = await anext(announced)
    assert message == events_bus.BusMessage(events_bus.REVOKED, {"device_id": laptop.id})
    assert "Laptop" not in listed.content and listed.button_texts == ["Revoke Desktop"]
    async with db_of() as db:
        revoked = (await db.execute(select(Device).where(Device.revoked_at.is_not(None)))).scalars()
        assert [d.name for d in revoked] == ["Laptop <1>"]


async def test_settings_change_time_zone_report_titles_and_ai(
    polling_bot: PollingBot, fake_telegram: FakeTelegram, db_of: SessionMaker
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    menu = await ann.say("/settings", "Time zone: UTC")
    await ann.press(menu, "🌍 Time zone", "Pick your time zone")
    await ann.say("Mars/Olympus", "Unknown time zone")
    await ann.say("america/new_york", "Time zone: America/New_York")
    menu = ann.last
    await ann.press(menu, "🌍 Time zone", "Pick your time zone")
    await ann.press(menu, "Tokyo", "Time zone: Asia/Tokyo")
    await ann.press(menu, "📅 Report day and hour", "On which day")
    await ann.press(menu, "Fri", "At what hour on Friday?")
    await ann.press(menu, "17", "Weekly report: Friday at 17:00")
    await ann.press(menu, "📰 Titles: turn on", "Page titles: on")
    await ann.press(menu, "🧠 AI: turn off", "AI analysis: off")
    user = await user_of(db_of, ann.user.id)
    assert (user.timezone, user.report_weekday, user.report_hour) == ("Asia/Tokyo", 4, 17)
    assert user.track_titles and not user.ai_enabled


async def test_an_unexpected_failure_is_answered_not_left_hanging(
    polling_bot: PollingBot,
    fake_telegram: FakeTelegram,
    db_of: SessionMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ann = Chat(fake_telegram, fake_telegram.add_user("Ann"))
    await ann.say("/devices", "No browser is linked")
    async with transaction(db_of) as db:
        user = await user_of(db_of, ann.user.id)
        db.add(Device(user_id=user.id, name="Laptop", token_hash="a" * 64))
    listed = await ann.say("/devices", "Linked browsers")

    def broken(*_: object) -> None:
        raise RuntimeError("the database is on fire")

    monkeypatch.setattr(devices_handlers, "revoke_device", broken)
    query = fake_telegram.click(ann.user, listed, text="Revoke Laptop")
    await fake_telegram.wait_until(lambda: query.answered, what="the button's answer")
    assert query.answer.get("text") == texts.UNEXPECTED  # no spinner left turning
    monkeypatch.setattr(devices_handlers, "list_devices", broken)
    await ann.say("/devices", "Something went wrong on our side")
    async with db_of() as db:
        assert await db.scalar(select(Device.revoked_at)) is None
