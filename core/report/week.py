"""ISO weeks in the user's own time zone, and when a week's report falls due.

A week runs from local Monday 00:00 to the next local Monday 00:00, converted to UTC
separately at each end, so a week with a DST change is 167 or 169 hours long. The
report for a week goes out in the *following* week, at the user's local report day and
hour, and stays due until that week ends: a worker that was down catches up, but a
report never arrives more than a week late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = 7


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    timezone: str

    @property
    def label(self) -> str:
        """The ISO week, e.g. `2026-W09`: the key of the week's report."""
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        return local_midnight(self.monday, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.monday + timedelta(days=DAYS), self.zone)

    @property
    def days(self) -> list[date]:
        return [self.monday + timedelta(days=n) for n in range(DAYS)]

    def previous(self) -> Week:
        return Week(self.monday - timedelta(days=DAYS), self.timezone)

    def next(self) -> Week:
        return Week(self.monday + timedelta(days=DAYS), self.timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def day_index(self, moment: datetime) -> int:
        """0 (Monday) to 6 (Sunday): the local day of `moment` within this week."""
        return (self.local(moment).date() - self.monday).days


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_of(moment: datetime, timezone: str) -> Week:
    """The local ISO week that contains `moment`."""
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    return Week(local_day - timedelta(days=local_day.weekday()), timezone)


def parse_week(label: str, timezone: str) -> Week:
    """The week named `2026-W09`, in the given zone; ValueError if it is not a week."""
    year, _, number = label.partition("-W")
    return Week(date.fromisocalendar(int(year), int(number), 1), timezone)


def report_moment(week: Week, weekday: int, hour: int) -> datetime:
    """When, in UTC, the report day and hour fall within `week` (local wall time).

    An hour skipped by a DST change resolves like zoneinfo resolves it: an hour later.
    """
    day = week.monday + timedelta(days=weekday)
    return datetime.combine(day, time(hour), tzinfo=week.zone).astimezone(UTC)


def due_week(now: datetime, timezone: str, weekday: int, hour: int) -> Week | None:
    """The last full week whose report is due at `now`, or None before the report hour."""
    current = week_of(now, timezone)
    if now < report_moment(current, weekday, hour):
        return None
    return current.previous()
