"""The review form's answer steps, one handler per state: buttons or typed text."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from redis.asyncio import Redis

from bot.callbacks import ReviewStep
from bot.reprompt import may_reprompt
from bot.review_form import Form, NotCommand, OpenForm, advance, show
from bot.states import ReviewForm
from bot.texts import review as texts
from core.errors import InvalidInput
from core.sessions.reviews import GOAL_RESULTS, SOLUTIONS, TEXT_MAX_CHARS, clean_text

router = Router(name="review_steps")
GRADE_VALUES = {str(grade) for grade in range(1, 6)}
# action: (its step, the values its buttons send, where the answer goes in the form)
CHOICES: dict[str, tuple[State, Collection[str], str]] = {
    "goal": (ReviewForm.goal, GOAL_RESULTS, "goal_result"),
    "quality": (ReviewForm.quality, GRADE_VALUES, "quality"),
    "distraction": (ReviewForm.distraction, GRADE_VALUES, "distraction"),
}


def pressed(state: State, *actions: str) -> tuple[Any, ...]:
    # Filter objects only: aiogram runs plain callables (a bare State, F.text) in a thread.
    return (StateFilter(state), ReviewStep.filter(F.action.in_(actions)), OpenForm())


@router.callback_query(*pressed(ReviewForm.activities, "skip"))
async def skip_activities(callback: CallbackQuery, form: Form, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    form["extra"] = None
    await advance(bot, state, form, ReviewForm.activities)


@router.callback_query(*pressed(ReviewForm.goal, "goal"))
@router.callback_query(*pressed(ReviewForm.quality, "quality"))
@router.callback_query(*pressed(ReviewForm.distraction, "distraction"))
async def choice(
    callback: CallbackQuery, callback_data: ReviewStep, form: Form, state: FSMContext, bot: Bot
) -> None:
    """A one-tap answer: the goal's result or a grade; the action names the answer."""
    current, allowed, key = CHOICES[callback_data.action]
    value = callback_data.value
    if value not in allowed:
        await callback.answer(texts.STEP_OVER)
        return
    await callback.answer()
    form[key] = int(value) if value.isdigit() else value
    await advance(bot, state, form, current)


@router.callback_query(*pressed(ReviewForm.solutions, "toggle"))
async def toggle_solution(
    callback: CallbackQuery, callback_data: ReviewStep, form: Form, state: FSMContext, bot: Bot
) -> None:
    await callback.answer()
    chosen = set(form.get("solutions", [])) ^ {callback_data.value}
    form["solutions"] = [s for s in SOLUTIONS if s in chosen]
    await state.set_data(form)
    await show(bot, form, ReviewForm.solutions)


@router.callback_query(*pressed(ReviewForm.solutions, "done"))
async def solutions_done(callback: CallbackQuery, form: Form, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    await advance(bot, state, form, ReviewForm.solutions)


@router.callback_query(*pressed(ReviewForm.note, "skip"))
async def skip_note(callback: CallbackQuery, form: Form, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    form["note"] = None
    await advance(bot, state, form, ReviewForm.note)


@router.message(StateFilter(ReviewForm.activities), NotCommand())
async def typed_activities(message: Message, state: FSMContext, bot: Bot) -> None:
    form = await typed(message, state, "extra")
    if form is not None:
        await advance(bot, state, form, ReviewForm.activities)


@router.message(StateFilter(ReviewForm.solutions), NotCommand())
async def typed_other_solution(message: Message, state: FSMContext, bot: Bot) -> None:
    form = await typed(message, state, "other")
    if form is not None:
        await state.set_data(form)
        await show(bot, form, ReviewForm.solutions)


@router.message(StateFilter(ReviewForm.note), NotCommand())
async def typed_note(message: Message, state: FSMContext, bot: Bot) -> None:
    form = await typed(message, state, "note")
    if form is not None:
        await advance(bot, state, form, ReviewForm.note)


@router.message(
    StateFilter(
        ReviewForm.goal,
        ReviewForm.quality,
        ReviewForm.distraction,
        ReviewForm.summary,
        ReviewForm.choosing_edit,
    ),
    NotCommand(),
)
async def buttons_expected(message: Message, state: FSMContext, queue: Redis) -> None:
    if await may_reprompt(queue, message.chat.id, await state.get_state()):
        await message.answer(texts.USE_BUTTONS)


async def typed(message: Message, state: FSMContext, key: str) -> Form | None:
    """The form with a typed answer stored under `key`; None after a re-prompt."""
    if message.text is None:
        await message.answer(texts.TEXT_ONLY)
        return None
    try:
        value = clean_text(message.text)
    except InvalidInput:
        await message.answer(texts.TOO_LONG.format(limit=TEXT_MAX_CHARS))
        return None
    form = await state.get_data()
    form[key] = value
    return form
