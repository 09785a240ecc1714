"""Inline keyboards. Buttons carry only `bot.callbacks` payloads."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import (
    DeviceRevoke,
    FocusLength,
    ForgetConfirm,
    PairingConfirm,
    ReviewOpen,
    ReviewStep,
)
from bot.texts import data as data_texts
from bot.texts import focus as focus_texts
from bot.texts import link as link_texts
from bot.texts import review as texts
from core.db.models import Device

FOCUS_LENGTHS = (25, 50, 90)
Row = list[tuple[str, CallbackData]]


def markup(*rows: Row) -> InlineKeyboardMarkup:
    """Rows of buttons, built directly: aiogram's builder deep-copies and re-validates every
    button, which costs more than the rest of a form step. Our values are known-good."""
    buttons = [
        [
            InlineKeyboardButton.model_construct(text=text, callback_data=data.pack())
            for text, data in row
        ]
        for row in rows
        if row
    ]
    return InlineKeyboardMarkup.model_construct(inline_keyboard=buttons)


def focus_lengths() -> InlineKeyboardMarkup:
    row: Row = [(f"{n} min", FocusLength(minutes=n)) for n in FOCUS_LENGTHS]
    return markup([*row, (focus_texts.CUSTOM, FocusLength(minutes=0))])


def review_now(session_id: int) -> InlineKeyboardMarkup:
    return markup([(focus_texts.REVIEW_NOW, ReviewOpen(session=session_id))])


def review_step(name: str, form: dict[str, Any]) -> InlineKeyboardMarkup:
    """The buttons of one form step; `form` holds the answers so far."""
    return _review_step(name, frozenset(form.get("solutions", [])))


@lru_cache(maxsize=256)  # 5 steps, and 64 sets of chosen solutions
def _review_step(name: str, chosen: frozenset[str]) -> InlineKeyboardMarkup:

    def button(text: str, action: str, value: str = "") -> tuple[str, CallbackData]:
        return text, ReviewStep(action=action, value=value)

    if name in ("activities", "note"):
        return markup([button(texts.SKIP, "skip")])
    if name == "goal":
        return markup([button(label, "goal", value) for value, label in texts.GOAL_RESULTS.items()])
    if name in ("quality", "distraction"):
        return markup([button(str(grade), name, str(grade)) for grade in range(1, 6)])
    toggles = [
        button(("☑️ " if value in chosen else "") + label, "toggle", value)
        for value, label in texts.SOLUTIONS.items()
    ]
    pairs = [toggles[i : i + 2] for i in range(0, len(toggles), 2)]
    return markup(*pairs, [button(texts.DONE, "done")])


@lru_cache(maxsize=1)
def review_summary() -> InlineKeyboardMarkup:
    return markup(
        [(texts.SUBMIT, ReviewStep(action="submit")), (texts.EDIT, ReviewStep(action="edit"))]
    )


@lru_cache(maxsize=1)
def review_edit_choices() -> InlineKeyboardMarkup:
    steps: Row = [
        (label, ReviewStep(action="goto", value=step)) for step, label in texts.STEP_NAMES.items()
    ]
    back = (texts.BACK, ReviewStep(action="back"))
    return markup(steps[:3], steps[3:], [back])


def devices(found: list[Device]) -> InlineKeyboardMarkup | None:
    if not found:
        return None
    rows: list[Row] = [
        [(data_texts.REVOKE.format(name=device.name[:40]), DeviceRevoke(device=device.id))]
        for device in found
    ]
    return markup(*rows)


def forget_confirm() -> InlineKeyboardMarkup:
    return markup(
        [
            (data_texts.FORGET_YES, ForgetConfirm(confirm=True)),
            (data_texts.FORGET_NO, ForgetConfirm(confirm=False)),
        ]
    )


def pairing_confirm(pairing: str) -> InlineKeyboardMarkup:
    return markup(
        [
            (link_texts.CONFIRM_YES, PairingConfirm(pairing=pairing, link=True)),
            (link_texts.CONFIRM_NO, PairingConfirm(pairing=pairing, link=False)),
        ]
    )
