"""The review form's moving parts shared by its handlers: the open-form check and navigation.

The form lives in the FSM data (JSON-safe) as a dict: the session and message ids, the
goal, the measured hosts, and the answers so far. One message shows it, edited in place.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot import keyboards
from bot.notify import edit_text
from bot.states import ReviewForm
from bot.texts import review as texts
from core.sessions.reviews import ReviewAnswers

Form = dict[str, Any]
ORDER: tuple[State, ...] = (
    ReviewForm.activities,
    ReviewForm.goal,
    ReviewForm.quality,
    ReviewForm.distraction,
    ReviewForm.solutions,
    ReviewForm.note,
    ReviewForm.summary,
)


def step_name(state: State) -> str:
    assert state.state is not None
    return state.state.split(":", 1)[1]


class OpenForm(Filter):
    """Passes a button of the form being filled in, handing it over as `form`."""

    async def __call__(self, callback: CallbackQuery, state: FSMContext) -> bool | dict[str, Any]:
        form = await state.get_data()
        if not is_current(form, callback):
            return False
        return {"form": form}


class NotCommand(Filter):
    """Passes typed text that is not a /command: commands work in the middle of the form."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


def is_current(form: Form, callback: CallbackQuery) -> bool:
    """The button is on the message of the form being filled in."""
    message = callback.message
    return message is not None and "session" in form and form.get("message") == message.message_id


async def show(bot: Bot, form: Form, state: State) -> None:
    """Render the form at `state` into its message."""
    if state == ReviewForm.summary:
        text, markup = texts.summary(form), keyboards.review_summary()
    elif state == ReviewForm.choosing_edit:
        text = texts.summary(form) + "\n\n" + texts.EDIT_WHICH
        markup = keyboards.review_edit_choices()
    else:
        name = step_name(state)
        text, markup = texts.step(name, form), keyboards.review_step(name, form)
    await edit_text(bot, form["chat"], form["message"], text, markup)


async def go(bot: Bot, fsm: FSMContext, form: Form, state: State) -> None:
    """Save the form, move to `state` and show it (at once: the user's next update waits
    for this one to finish, so nothing can see the state half-saved)."""
    form["editing"] = form.get("editing", False) and state != ReviewForm.summary
    await asyncio.gather(fsm.set_state(state), fsm.set_data(form), show(bot, form, state))


async def advance(bot: Bot, fsm: FSMContext, form: Form, current: State) -> None:
    """After an answer: the next step, or back to the summary when editing one answer."""
    if form.get("editing"):
        await go(bot, fsm, form, ReviewForm.summary)
        return
    await go(bot, fsm, form, ORDER[ORDER.index(current) + 1])


def answers(form: Form) -> ReviewAnswers:
    return ReviewAnswers(
        goal_result=str(form.get("goal_result") or ""),
        quality=int(form.get("quality") or 0),
        distraction=int(form.get("distraction") or 0),
        solutions=list(form.get("solutions", [])),
        extra_activities=form.get("extra"),
        solutions_other=form.get("other"),
        note=form.get("note"),
    )
