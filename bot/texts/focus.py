"""Texts of focus sessions: starting, ending, "time's up" and the reminder."""

from __future__ import annotations

ASK_LENGTH = "🎯 How long will you focus?"
ASK_MINUTES = "Type the length in minutes, from {low} to {high}."
ASK_GOAL = "<b>{length}</b>. What will you work on? Type your goal."
CUSTOM = "Custom…"
USAGE = (
    "Start with one line, <code>/focus 90 write chapter 2</code>, "
    "or send /focus and pick the length."
)
STARTED = (
    "🎯 Focus on <b>{goal}</b> until <b>{end}</b> ({length}).\n"
    "/done ends it early, /cancel drops it."
)
STARTED_FROM_BROWSER = (
    "🎯 Focus started from your browser: <b>{goal}</b> until <b>{end}</b>.\n"
    "/done ends it early, /cancel drops it."
)
GOAL_CAPPED = "\n\n<i>Your goal was long, so I kept its first {limit} characters.</i>"
ENDED = "✅ Session ended at <b>{end}</b>: <b>{goal}</b>.\nTake one minute to review it."
CANCELLED = "Session dropped: <b>{goal}</b>. No review for it."
TIMES_UP = "⏰ Time's up: <b>{goal}</b>.\nTake one minute to review it."
TIMES_UP_LATE = (
    "⏰ Time's up: <b>{goal}</b> ended at {end}. Sorry, this note comes late.\n"
    "Take one minute to review it."
)
ENDED_IN_BROWSER = "✅ You ended <b>{goal}</b> from the browser.\nTake one minute to review it."
REMINDER = "🔔 <b>{goal}</b> is still waiting for its one-minute review."
REVIEW_NOW = "Review now"
NOT_STARTED = "OK, no session started."
