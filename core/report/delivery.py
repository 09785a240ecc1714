"""Which weekly reports are owed, and the record that sends each of them at most once.

A `weekly_reports` row per (user, week), unique in the database, is the claim: the tick
creates it before the job is queued, and the job reads it before every message.

    pending ──claim_part──▶ sending ──record_part──▶ pending (more parts) or sent
                              │  ╰──release_part──▶ pending   (surely not delivered)
                              ╰── found by a re-run ──▶ failed (maybe delivered)

Telegram has no idempotency key, so a send whose outcome is unknown (the worker died
mid-send, the request timed out) is never repeated: a report may, rarely, be lost,
but never arrives twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.db.base import utcnow
from core.db.models import ReportStatus, User, WeeklyReport
from core.report.week import Week, due_week, parse_week, report_moment

UNFINISHED = (ReportStatus.pending, ReportStatus.sending)


@dataclass(frozen=True, slots=True)
class Delivery:
    """An owed report, read at the start of a send job."""

    report_id: int
    user_id: int
    chat_id: int
    week: Week
    sent_parts: int  # messages of it already delivered
    stop: str | None = None  # why it must not be sent after all


Group = tuple[str, int, int]  # time zone, report weekday, report hour


async def claim_due_reports(
    db: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[int, str]]:
    """Create the rows of reports due at `now`, most overdue first: (user id, week label).

    The due week is worked out once per (time zone, report day, report hour) group; the
    groups due share one or two week labels, and each label costs one query over the
    users, whatever the number of groups. A user who joined after the week ended is not
    owed it.
    """
    groups = await db.execute(
        select(User.timezone, User.report_weekday, User.report_hour)
        .where(User.active.is_(True))
        .distinct()
    )
    by_label: dict[str, dict[Group, tuple[datetime, datetime]]] = defaultdict(dict)
    for timezone, weekday, hour in groups:
        week = due_week(now, timezone, weekday, hour)
        if week is not None:
            due_at = report_moment(week.next(), weekday, hour)
            by_label[week.label][(timezone, weekday, hour)] = (due_at, week.end)
    owed: list[tuple[datetime, int, str]] = []
    for label, due in by_label.items():
        rows = await db.execute(
            select(
                User.id, User.timezone, User.report_weekday, User.report_hour, User.created_at
            ).where(
                User.active.is_(True),
                tuple_(User.timezone, User.report_weekday, User.report_hour).in_(list(due)),
                ~exists().where(WeeklyReport.user_id == User.id, WeeklyReport.iso_week == label),
            )
        )
        for user_id, timezone, weekday, hour, joined in rows:
            due_at, week_end = due[(timezone, weekday, hour)]
            if joined < week_end:
                owed.append((due_at, user_id, label))
    chosen: dict[str, list[int]] = defaultdict(list)
    for _, user_id, label in sorted(owed)[:limit]:
        chosen[label].append(user_id)
    return [
        (user_id, label)
        for label, user_ids in chosen.items()
        for user_id in await _insert(db, user_ids, label, now)
    ]


async def _insert(db: AsyncSession, user_ids: list[int], label: str, now: datetime) -> list[int]:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(WeeklyReport).on_conflict_do_nothing(
        index_elements=["user_id", "iso_week"]
    )
    rows = [
        {
            "user_id": user_id,
            "iso_week": label,
            "status": ReportStatus.pending,
            "message_ids": [],
            "created_at": now,
        }
        for user_id in user_ids
    ]
    result = await db.execute(stmt.returning(WeeklyReport.user_id), rows)
    return sorted(result.scalars())


async def unfinished(
    db: AsyncSession, *, now: datetime, older_than: timedelta, limit: int
) -> list[tuple[int, str]]:
    """Reports claimed a while ago and not finished: their job may never have been queued."""
    result = await db.execute(
        select(WeeklyReport.user_id, WeeklyReport.iso_week)
        .where(WeeklyReport.status.in_(UNFINISHED), WeeklyReport.created_at < now - older_than)
        .order_by(WeeklyReport.created_at)
        .limit(limit)
    )
    return [(user_id, label) for user_id, label in result.all()]


async def open_delivery(db: AsyncSession, user_id: int, iso_week: str) -> Delivery | None:
    """The report still owed to the user for the week, or None (sent, failed, not owed).

    Only reads: when it must not be sent (a message of it maybe went out already, or the
    user blocked the bot), `stop` says why and the caller marks it failed.
    """
    row = (
        await db.execute(
            select(WeeklyReport).where(
                WeeklyReport.user_id == user_id, WeeklyReport.iso_week == iso_week
            )
        )
    ).scalar_one_or_none()
    if row is None or row.status not in UNFINISHED:
        return None
    user = await db.get(User, user_id)
    if user is None:
        return None
    stop = "maybe sent" if row.status == ReportStatus.sending else None
    if not user.active:
        stop = "inactive"
    week = parse_week(iso_week, user.timezone)
    return Delivery(row.id, user.id, user.chat_id, week, len(row.message_ids), stop)


async def claim_part(db: AsyncSession, report_id: int) -> bool:
    """Mark a message as on its way; False when another run holds the report."""
    result = await db.execute(
        update(WeeklyReport)
        .where(WeeklyReport.id == report_id, WeeklyReport.status == ReportStatus.pending)
        .values(status=ReportStatus.sending)
    )
    return bool(getattr(result, "rowcount", 0))


async def record_part(
    db: AsyncSession, report_id: int, message_id: int, *, last: bool, now: datetime | None = None
) -> None:
    row = await db.get(WeeklyReport, report_id)
    assert row is not None
    row.message_ids = [*row.message_ids, message_id]
    row.status = ReportStatus.sent if last else ReportStatus.pending
    if last:
        row.sent_at = now or utcnow()
    await db.flush()


async def release_part(db: AsyncSession, report_id: int) -> None:
    """The message surely did not go out: the report is owed again."""
    await _set_status(db, report_id, ReportStatus.pending)


async def fail(db: AsyncSession, report_id: int) -> None:
    await _set_status(db, report_id, ReportStatus.failed)


async def _set_status(db: AsyncSession, report_id: int, status: ReportStatus) -> None:
    await db.execute(update(WeeklyReport).where(WeeklyReport.id == report_id).values(status=status))
