"""Texts of linking a browser: deep links and typed codes."""

from __future__ import annotations

CODE = (
    "🔗 Type this code into the Quality Time extension's options:\n\n"
    "<code>{code}</code>\n\nIt works once, for {minutes} minutes."
)
CONFIRM = (
    "🔗 A browser called <b>{device}</b> asks to be linked to your Quality Time account.\n\n"
    "Once linked it can:\n"
    "• see your current focus session, its goal, and the sites you excluded;\n"
    "• start and end focus sessions;\n"
    "• record which sites had your attention during your sessions.\n\n"
    "Tap <b>Link</b> only if you opened this link from your own extension just now. "
    "If not, tap <b>Not me</b>: someone may be trying to read your sessions."
)
CONFIRM_YES = "Link"
CONFIRM_NO = "Not me"
LINKED = (
    "✅ Linked! <b>{device}</b> will start tracking your focus sessions in a few seconds.\n"
    "Start one with /focus."
)
DECLINED = "🚫 Not linked. That code no longer works; /devices lists the browsers you linked."
FAILED = "⚠️ {reason} Open the link again from the extension, or make a new code there."
TOO_MANY = "⏳ Too many wrong codes. Try again in {minutes} min."
