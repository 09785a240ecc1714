"""The bot's forms. Each state has its own handlers; FSM data stays JSON-safe (Redis)."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class FocusForm(StatesGroup):
    length = State()
    custom_length = State()
    goal = State()


class ReviewForm(StatesGroup):
    activities = State()
    goal = State()
    quality = State()
    distraction = State()
    solutions = State()
    note = State()
    summary = State()
    choosing_edit = State()


class SettingsForm(StatesGroup):
    timezone = State()
