"""Everything the bot says, in one place. Values are HTML; user text goes through `quote`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.utils.text_decorations import html_decoration

quote = html_decoration.quote

WELCOME_NEW = (
    "Hi {name}! I'm <b>Quality Time</b>, your focus coach.\n\n"
    "Declare a focus session, and when it ends I'll walk you through a one-minute "
    "review and tell you how the time was really spent.\n\n"
    "To see where your browser time goes, install the Quality Time extension and press "
    "<b>Link with Telegram</b> in its options."
)
WELCOME_BACK = "Welcome back, {name}! /help lists everything I can do."

HELP = (
    "<b>Quality Time</b>: declare focus, see where it went, get better every week.\n\n"
    "<b>Focus</b>\n"
    "/focus — start a session: <code>/focus 90 write chapter 2</code>, or just /focus\n"
    "/done — end the session early and review it\n"
    "/cancel — drop the session\n"
    "/report — this week so far (<code>/report last</code>: last week)\n\n"
    "<b>Your browser</b>\n"
    "/link — a code to type into the extension (or <code>/link CODE</code> from it)\n"
    "/devices — linked browsers, and revoking them\n\n"
    "<b>You and your data</b>\n"
    "/settings — time zone, weekly report, titles, AI, host categories\n"
    "/export — all your data as a JSON file\n"
    "/forget — delete everything\n"
    "/privacy — what is stored and what the AI sees\n"
    "/help — this list"
)

COMMANDS: dict[str, str] = {
    "focus": "Start a focus session",
    "done": "End the session early and review it",
    "cancel": "Drop the running session",
    "report": "This week's report so far",
    "link": "Link a browser",
    "devices": "Linked browsers",
    "settings": "Time zone, report, titles, AI, hosts",
    "export": "Download all your data",
    "forget": "Delete all your data",
    "privacy": "What is stored and sent",
    "help": "What I can do",
}

ERROR = "⚠️ {reason}"
UNEXPECTED = "Something went wrong on our side. Please try again in a moment."


def local_time(moment: datetime, timezone: str, *, now: datetime | None = None) -> str:
    """`14:30` today, `Tue 14:30` this week, else `03 Mar 14:30`, in the user's zone."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    days = abs((local.date() - (now or datetime.now(zone)).astimezone(zone).date()).days)
    pattern = "%H:%M" if days == 0 else "%a %H:%M" if days < 6 else "%d %b %H:%M"
    return local.strftime(pattern)


def minutes(value: float) -> str:
    """`45 min` or `1 h 05 min`."""
    total = round(value)
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"
