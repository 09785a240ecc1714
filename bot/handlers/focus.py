"""Focus sessions: /focus in one line or with buttons, /done and /cancel."""

from __future__ import annotations

import re

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import FocusLength
from bot.identity import sender
from bot.states import FocusForm
from bot.texts import focus as texts
from bot.texts import local_time, minutes, quote
from bot.texts import review as review_texts
from core.db.models import SessionSource, User
from core.infra import events_bus
from core.infra.queue import queue_review_reminder
from core.sessions.lifecycle import (
    GOAL_MAX_CHARS,
    MAX_MINUTES,
    MIN_MINUTES,
    cancel_session,
    cap_goal,
    start_and_announce,
)
from core.sessions.notices import REMINDER_AFTER, end_early

router = Router(name="focus")
ONE_LINE = re.compile(r"(\d{1,4})\s*(?:m|min|mins|minutes)?\s+(\S.*)", re.DOTALL | re.IGNORECASE)


@router.message(Command("focus"))
async def focus(
    message: Message, command: CommandObject, db: AsyncSession, state: FSMContext, queue: ArqRedis
) -> None:
    user = await sender(db, message)
    await db.commit()
    if not command.args:
        await state.clear()
        await state.set_state(FocusForm.length)
        await message.answer(texts.ASK_LENGTH, reply_markup=keyboards.focus_lengths())
        return
    plan = ONE_LINE.fullmatch(command.args.strip())
    if plan is None:
        await message.answer(texts.USAGE)
        return
    await start(message, db, queue, user, int(plan[1]), plan[2])


@router.callback_query(StateFilter(FocusForm.length), FocusLength.filter())
async def picked_length(
    callback: CallbackQuery, callback_data: FocusLength, state: FSMContext
) -> None:
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if callback_data.minutes == 0:
        await state.set_state(FocusForm.custom_length)
        text = texts.ASK_MINUTES.format(low=MIN_MINUTES, high=MAX_MINUTES)
    else:
        await state.update_data(minutes=callback_data.minutes)
        await state.set_state(FocusForm.goal)
        text = texts.ASK_GOAL.format(length=minutes(callback_data.minutes))
    await callback.message.edit_text(text)


@router.callback_query(FocusLength.filter())
async def stale_length(callback: CallbackQuery) -> None:
    await callback.answer(review_texts.CLOSED)


@router.message(StateFilter(FocusForm.custom_length))
async def typed_length(message: Message, state: FSMContext) -> None:
    typed = (message.text or "").strip()
    length = int(typed) if typed.isdigit() and len(typed) <= 4 else 0
    if not MIN_MINUTES <= length <= MAX_MINUTES:
        await message.answer(texts.ASK_MINUTES.format(low=MIN_MINUTES, high=MAX_MINUTES))
        return
    await state.update_data(minutes=length)
    await state.set_state(FocusForm.goal)
    await message.answer(texts.ASK_GOAL.format(length=minutes(length)))


@router.message(StateFilter(FocusForm.goal))
async def typed_goal(
    message: Message, db: AsyncSession, state: FSMContext, queue: ArqRedis
) -> None:
    if message.text is None:
        await message.answer(review_texts.TEXT_ONLY)
        return
    length = int((await state.get_data()).get("minutes", 0))
    user = await sender(db, message)
    await start(message, db, queue, user, length, message.text)
    await state.clear()


async def start(
    message: Message, db: AsyncSession, queue: ArqRedis, user: User, length: int, goal: str
) -> None:
    goal, capped = cap_goal(goal)
    session = await start_and_announce(
        db, queue, user.id, minutes=length, goal=goal, source=SessionSource.bot
    )
    text = texts.STARTED.format(
        goal=quote(session.goal),
        end=local_time(session.planned_end, user.timezone),
        length=minutes(length),
    )
    if capped:
        text += texts.GOAL_CAPPED.format(limit=GOAL_MAX_CHARS)
    await message.answer(text)


@router.message(Command("done"))
async def done(message: Message, db: AsyncSession, queue: ArqRedis) -> None:
    user = await sender(db, message)
    session = await end_early(db, user.id)
    await db.commit()
    await events_bus.publish(queue, user.id, events_bus.SESSION)
    await queue_review_reminder(queue, session.id, session.window_end + REMINDER_AFTER)
    await message.answer(
        texts.ENDED.format(
            goal=quote(session.goal), end=local_time(session.window_end, user.timezone)
        ),
        reply_markup=keyboards.review_now(session.id),
    )


@router.message(Command("cancel"))
async def cancel(message: Message, db: AsyncSession, state: FSMContext, queue: ArqRedis) -> None:
    if await state.get_state() in FocusForm.__all_states_names__:
        await state.clear()  # only the /focus questions were under way
        await message.answer(texts.NOT_STARTED)
        return
    user = await sender(db, message)
    session = await cancel_session(db, user.id)
    await db.commit()
    await events_bus.publish(queue, user.id, events_bus.SESSION)
    await message.answer(texts.CANCELLED.format(goal=quote(session.goal)))
