"""Inline keyboards of /settings."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import HostCategory, SettingsAction
from bot.texts import settings as texts
from core.db.models import User

Markup = InlineKeyboardMarkup
TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
)


def _action(builder: InlineKeyboardBuilder, text: str, action: str, value: str = "") -> None:
    builder.button(text=text, callback_data=SettingsAction(action=action, value=value))


def main(user: User) -> Markup:
    builder = InlineKeyboardBuilder()
    _action(builder, texts.TIMEZONE_BUTTON, "tz")
    _action(builder, texts.REPORT_BUTTON, "day")
    titles = texts.OFF if user.track_titles else texts.ON
    _action(builder, texts.TITLES_BUTTON.format(state=titles), "titles")
    _action(builder, texts.AI_BUTTON.format(state=texts.OFF if user.ai_enabled else texts.ON), "ai")
    _action(builder, texts.HOSTS_BUTTON, "hosts")
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def back() -> Markup:
    builder = InlineKeyboardBuilder()
    _action(builder, texts.BACK, "back")
    return builder.as_markup()


def timezones() -> Markup:
    builder = InlineKeyboardBuilder()
    for index, zone in enumerate(TIMEZONES):
        _action(builder, zone.split("/")[-1].replace("_", " "), "tzset", str(index))
    _action(builder, texts.BACK, "back")
    builder.adjust(3)
    return builder.as_markup()


def weekdays() -> Markup:
    builder = InlineKeyboardBuilder()
    for index, name in enumerate(texts.WEEKDAYS):
        _action(builder, name[:3], "dayset", str(index))
    _action(builder, texts.BACK, "back")
    builder.adjust(7, 1)
    return builder.as_markup()


def hours() -> Markup:
    builder = InlineKeyboardBuilder()
    for hour in range(24):
        _action(builder, f"{hour:02d}", "hourset", str(hour))
    builder.adjust(6)
    return builder.as_markup()


def hosts(shown: list[tuple[str, str, str]]) -> Markup:
    """`shown`: (host, digest, category) per host."""
    builder = InlineKeyboardBuilder()
    for host, digest, category in shown:
        mark = texts.MARKS.get(category, "▫️")
        builder.button(text=f"{mark} {host}", callback_data=HostCategory(digest=digest))
    _action(builder, texts.BACK, "back")
    builder.adjust(1)
    return builder.as_markup()


def categories(digest: str) -> Markup:
    builder = InlineKeyboardBuilder()
    for category, label in texts.CATEGORIES.items():
        builder.button(text=label, callback_data=HostCategory(digest=digest, category=category))
    _action(builder, texts.BACK, "hosts")
    builder.adjust(3, 1)
    return builder.as_markup()
