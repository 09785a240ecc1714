"""Everything the bot says, in one place. Values are HTML; user text goes through `quote`."""

from __future__ import annotations

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
    "/help — this list"
)

COMMANDS: dict[str, str] = {
    "help": "What I can do",
}
