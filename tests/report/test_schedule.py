"""Reports go out at each user's local report hour, for their last full local week, once.

The tick is driven with an injected `now` across the weekend Europe/Berlin moves its
clocks forward (29 March 2026), for users at UTC+14 and UTC−12 too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.infra.resources import Resources
from core.settings import Settings
from tests.fakes.telegram import FakeTelegram
from tests.report.conftest import Plan, add_session, at, make_user, reports_of, run_workers, tick

STEP = timedelta(minutes=15)
FIRST_TICK = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
LAST_TICK = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
JOINED = datetime(2026, 3, 24, tzinfo=UTC)  # after week 12 ended everywhere: owed week 13 only


def utc(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


# telegram id: time zone, report weekday and hour, when they joined, the expected claim
# (the first tick at or after the local report time), the week and its local dates.
USERS = {
    # Monday 09:00 CEST, the first Monday after the change: 07:00 UTC, not 08:00 as in winter.
    701: ("Europe/Berlin", 0, 9, JOINED, utc(30, 7), "2026-W13", "23–29 Mar"),
    # Sunday 02:00 does not exist on 29 March in Berlin: zoneinfo reads it as 03:00 CEST.
    702: ("Europe/Berlin", 6, 2, JOINED - timedelta(days=7), utc(29, 1), "2026-W12", "16–22 Mar"),
    # UTC+14: Monday 09:00 there is Sunday 19:00 UTC.
    703: ("Pacific/Kiritimati", 0, 9, JOINED, utc(29, 19), "2026-W13", "23–29 Mar"),
    # UTC−12: Monday 09:00 there is Monday 21:00 UTC.
    704: ("Etc/GMT+12", 0, 9, JOINED, utc(30, 21), "2026-W13", "23–29 Mar"),
}


def ticks() -> list[datetime]:
    count = int((LAST_TICK - FIRST_TICK) / STEP)
    return [FIRST_TICK + n * STEP for n in range(count + 1)]


async def test_each_user_gets_their_report_at_their_local_hour_once(
    resources: Resources, report_settings: Settings, fake_telegram: FakeTelegram
) -> None:
    ids: dict[int, int] = {}
    async with resources.sessionmaker() as db:
        for telegram_id, (zone, weekday, hour, joined, *_) in USERS.items():
            fake_telegram.add_user(f"User {telegram_id}", user_id=telegram_id)
            user = await make_user(
                db, telegram_id, timezone=zone, weekday=weekday, hour=hour, created_at=joined
            )
            ids[telegram_id] = user.id
            # One session late on the local Sunday of week 13, one early on the Monday after.
            for local in ("2026-03-29 23:00", "2026-03-30 00:30"):
                await add_session(db, user, Plan(at(local, zone), 20, review=("yes", 4, 2, [])))
        await db.commit()

    claimed_at: dict[int, datetime] = {}
    for now in ticks():
        await tick(resources, now)
        for row in await reports_of(resources):
            claimed_at.setdefault(row.user_id, now)
    await run_workers(report_settings)
    for now in ticks()[::4]:  # the same days again: nothing is owed any more
        await tick(resources, now)
    await run_workers(report_settings)

    rows = {row.user_id: row for row in await reports_of(resources)}
    assert len(rows) == len(USERS)
    for telegram_id, (zone, _, _, _, due, week, dates) in USERS.items():
        user_id = ids[telegram_id]
        assert claimed_at[user_id] == due, zone
        assert (rows[user_id].iso_week, rows[user_id].status) == (week, "sent"), zone
        messages = fake_telegram.bot_messages(telegram_id)
        assert len(messages) == 1, (zone, [m.content[:60] for m in messages])
        assert f"Your week · {dates} 2026" in messages[0].content, zone
        if week == "2026-W13":  # the Sunday session counts, the Monday one is next week's
            assert messages[0].photo is not None and "1 session ·" in messages[0].content
        else:
            assert "No focus sessions this week" in messages[0].content
    assert fake_telegram.errors == []
