"""Inline keyboards. Buttons carry only `bot.callbacks` payloads."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import DeviceRevoke, FocusLength, ForgetConfirm, ReviewOpen, ReviewStep
from bot.texts import data as data_texts
from bot.texts import focus as focus_texts
from bot.texts import review as texts
from core.models import Device

FOCUS_LENGTHS = (25, 50, 90)


def focus_lengths() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for length in FOCUS_LENGTHS:
        builder.button(text=f"{length} min", callback_data=FocusLength(minutes=length))
    builder.button(text=focus_texts.CUSTOM, callback_data=FocusLength(minutes=0))
    builder.adjust(4)
    return builder.as_markup()


def review_now(session_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=focus_texts.REVIEW_NOW, callback_data=ReviewOpen(session=session_id))
    return builder.as_markup()


def review_step(name: str, form: dict[str, Any]) -> InlineKeyboardMarkup:
    """The buttons of one form step; `form` holds the answers so far."""
    session = int(form["session"])
    builder = InlineKeyboardBuilder()

    def add(text: str, action: str, value: str = "") -> None:
        builder.button(
            text=text, callback_data=ReviewStep(session=session, action=action, value=value)
        )

    if name in ("activities", "note"):
        add(texts.SKIP, "skip")
    elif name == "goal":
        for value, label in texts.GOAL_RESULTS.items():
            add(label, "goal", value)
    elif name in ("quality", "distraction"):
        for grade in range(1, 6):
            add(str(grade), name, str(grade))
    elif name == "solutions":
        chosen = set(form.get("solutions", []))
        for value, label in texts.SOLUTIONS.items():
            add(("☑️ " if value in chosen else "") + label, "toggle", value)
        add(texts.DONE, "done")
        builder.adjust(2, 2, 2, 1)
        return builder.as_markup()
    builder.adjust(5)
    return builder.as_markup()


def review_summary(session_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.SUBMIT, callback_data=ReviewStep(session=session_id, action="submit"))
    builder.button(text=texts.EDIT, callback_data=ReviewStep(session=session_id, action="edit"))
    return builder.as_markup()


def review_edit_choices(session_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for step, label in texts.STEP_NAMES.items():
        builder.button(
            text=label, callback_data=ReviewStep(session=session_id, action="goto", value=step)
        )
    builder.button(text=texts.BACK, callback_data=ReviewStep(session=session_id, action="back"))
    builder.adjust(3, 3, 1)
    return builder.as_markup()


def devices(found: list[Device]) -> InlineKeyboardMarkup | None:
    if not found:
        return None
    builder = InlineKeyboardBuilder()
    for device in found:
        label = data_texts.REVOKE.format(name=device.name[:40])
        builder.button(text=label, callback_data=DeviceRevoke(device=device.id))
    builder.adjust(1)
    return builder.as_markup()


def forget_confirm() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=data_texts.FORGET_YES, callback_data=ForgetConfirm(confirm=True))
    builder.button(text=data_texts.FORGET_NO, callback_data=ForgetConfirm(confirm=False))
    return builder.as_markup()
