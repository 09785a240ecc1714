"""Texts about the user's data: privacy, export, forget, devices."""

from __future__ import annotations

PRIVACY = (
    "🔒 <b>What Quality Time stores</b>, in this bot's database, until you /forget it:\n"
    "• Your Telegram id, chat, first name, language, time zone and settings.\n"
    "• Your focus sessions: goal, start, end.\n"
    "• During a session only: the site that had your attention (the host, like "
    "<code>github.com</code>, never the full address), when, and whether you were idle or "
    "audio played. Page titles only if you turn them on in /settings. Nothing outside a "
    "session, nothing from incognito windows or hosts you exclude.\n"
    "• In your browser only, in memory: the hosts of your last 5 minutes, so that a session "
    "you start here counts from its first minute. Never written to disk, gone when the "
    "browser closes, and only the part a session you declared covers is ever sent.\n"
    "• Your reviews and their analyses, your weekly reports, and your host categories.\n"
    "• Your linked browsers: their names and when they were last seen.\n\n"
    "<b>For a short while</b>, in its Redis: an unfinished review form (a week at most), "
    "your messages while they are handled (handled ones are dropped at once), scheduled "
    "reminders and reports, and counters against code guessing (15 minutes). A code to "
    "link a browser is deleted an hour after it expires.\n\n"
    "<b>What the AI sees</b> (only with AI on and an AI provider set up)\n"
    "Totals only: hosts and minutes, the measured figures, your goal, grades, "
    "solutions and note; titles only if you turned them on. Never full addresses, "
    "never your name.\n\n"
    "/export downloads all of it. /forget deletes all of it at once: every database row, "
    "the form, scheduled reminders and reports, the counters, and Redis's copy on disk "
    "(it rewrites its file). Linked browsers stop working at the same moment."
)
EXPORT_PREPARING = "📦 Preparing your data; the file follows in a moment."
EXPORT_UNAVAILABLE = "📦 The export cannot start right now. Please try again in a minute."
EXPORT_CAPTION = "📦 All your Quality Time data."
EXPORT_TOO_LARGE = (
    "📦 Your data is more than Telegram lets a bot send (50 MB), even compressed. "
    "Please ask the operator of this bot for a copy."
)
FORGET_CONFIRM = (
    "🗑 Delete <b>everything</b> Quality Time stores about you: sessions, browser activity, "
    "reviews, analyses, reports, devices and settings? This cannot be undone."
)
FORGET_YES = "Delete everything"
FORGET_NO = "Keep my data"
FORGOT = (
    "🗑 Done. I deleted your account and {sessions} sessions, {events} activity records, "
    "{reviews} reviews, {analyses} analyses, {weekly_reports} weekly reports, "
    "{devices} devices and {host_rules} host categories.\n"
    "Linked browsers stop tracking now. Send /start to begin again."
)
KEPT = "Nothing was deleted."
NOTHING_TO_FORGET = "There is nothing stored about you."

DEVICES = "💻 <b>Linked browsers</b>\n{lines}\n\nTap one to revoke it."
DEVICE_LINE = "• {name}: last seen {seen}"
NO_DEVICES = "No browser is linked. /link gives a code for the extension."
NEVER = "never"
REVOKE = "Revoke {name}"
REVOKED = "Revoked."
