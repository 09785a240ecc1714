"""Texts of /settings."""

from __future__ import annotations

SETTINGS = (
    "⚙️ <b>Settings</b>\n\n"
    "🌍 Time zone: <b>{timezone}</b>\n"
    "📅 Weekly report: <b>{weekday} at {hour:02d}:00</b>\n"
    "📰 Page titles: <b>{titles}</b>\n"
    "🧠 AI analysis: <b>{ai}</b>"
)
ON, OFF = "on", "off"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMEZONE_BUTTON = "🌍 Time zone"
REPORT_BUTTON = "📅 Report day and hour"
TITLES_BUTTON = "📰 Titles: turn {state}"
AI_BUTTON = "🧠 AI: turn {state}"
HOSTS_BUTTON = "🏷 Host categories"
BACK = "« Back"
ASK_TIMEZONE = (
    "🌍 Pick your time zone, or type its name, like <code>Europe/Berlin</code> or "
    "<code>America/New_York</code>."
)
ASK_WEEKDAY = "📅 On which day should the weekly report come?"
ASK_HOUR = "🕘 At what hour on {weekday}? (your local time)"
HOSTS = (
    "🏷 <b>Host categories</b>\n"
    "Hosts from your recent sessions. Tap one to change how it counts.\n\n{lines}"
)
NO_HOSTS = "🏷 No hosts yet: they appear here after a tracked session."
HOST_LINE = "{mark} {host}"
ASK_CATEGORY = "How should <b>{host}</b> count? Now: {category}."
MARKS = {"on_task": "✅", "neutral": "▫️", "distracting": "⚠️"}
CATEGORIES = {"on_task": "✅ On-task", "neutral": "▫️ Neutral", "distracting": "⚠️ Distracting"}
UNKNOWN_HOST = "That host is no longer in the list."
SAVED = "Saved."
