"""Texts of linking a browser: deep links and typed codes."""

from __future__ import annotations

CODE = (
    "🔗 Type this code into the Quality Time extension's options:\n\n"
    "<code>{code}</code>\n\nIt works once, for {minutes} minutes."
)
LINKED = (
    "✅ Linked! <b>{device}</b> will start tracking your focus sessions in a few seconds.\n"
    "Start one with /focus."
)
FAILED = "⚠️ {reason} Open the link again from the extension, or make a new code there."
TOO_MANY = "⏳ Too many wrong codes. Try again in {minutes} min."
