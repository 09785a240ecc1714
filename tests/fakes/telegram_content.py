"""Message content rules: parse modes, length limits and inline keyboards."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram_html import HtmlParseError, parse_html, utf16_len
from tests.fakes.telegram_models import bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
BUTTON_LIMIT = 100
_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL = re.compile(r"^(https?|tg)://\S+$", re.IGNORECASE)
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def format_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool = False,
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities after parsing, or Telegram's 400 for bad or long text.

    Markdown modes are accepted but not parsed: their markup counts as text.
    """
    text = text or ""
    parsed: list[dict[str, Any]] = list(entities) if isinstance(entities, list) else []
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            text, parsed = parse_html(text)
        except HtmlParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
    elif mode not in ("", "markdown", "markdownv2"):
        raise bad_request("unsupported parse_mode")
    text, parsed = _trim(text, parsed)
    if caption:
        if utf16_len(text) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
    elif not text:
        raise bad_request("message text is empty")
    elif utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, parsed


def _check_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    checked: dict[str, Any] = {k: v for k, v in button.items() if v is not None}
    if not isinstance(checked.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not any(action in checked for action in _BUTTON_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = checked.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    if "url" in checked and not _URL.match(str(checked["url"])):
        raise bad_request("BUTTON_URL_INVALID")
    return checked


def check_markup(markup: Any) -> dict[str, Any] | None:
    """A validated, normalised reply_markup; inline keyboards get Telegram's checks."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return dict(markup)
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array'
        )
    checked = [[_check_button(button) for button in row] for row in rows]
    if sum(len(row) for row in checked) > BUTTON_LIMIT:
        raise bad_request("reply markup is too long")
    kept = [row for row in checked if row]
    return {"inline_keyboard": kept} if kept else None


def command_entities(text: str) -> list[dict[str, Any]]:
    """`bot_command` entities, as Telegram marks them in a user's message."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]
