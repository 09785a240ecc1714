"""/settings: time zone, weekly report day and hour, titles, AI, and host categories."""

from __future__ import annotations

import hashlib

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import settings_keyboards as keyboards
from bot.callbacks import HostCategory, SettingsAction
from bot.identity import presser, sender
from bot.states import SettingsForm
from bot.texts import quote
from bot.texts import settings as texts
from core.accounts.users import update_settings
from core.db.models import Category, User
from core.hosts.categories import categorize
from core.hosts.rules import seen_hosts, set_category, user_rules

router = Router(name="settings")
HOSTS_SHOWN = 12


def digest(host: str) -> str:
    return hashlib.sha256(host.encode()).hexdigest()[:10]


def render(user: User) -> str:
    return texts.SETTINGS.format(
        timezone=quote(user.timezone),
        weekday=texts.WEEKDAYS[user.report_weekday],
        hour=user.report_hour,
        titles=texts.ON if user.track_titles else texts.OFF,
        ai=texts.ON if user.ai_enabled else texts.OFF,
    )


@router.message(Command("settings"))
async def settings(message: Message, db: AsyncSession, state: FSMContext) -> None:
    user = await sender(db, message)
    await db.commit()
    await state.clear()
    await message.answer(render(user), reply_markup=keyboards.main(user))


@router.message(StateFilter(SettingsForm.timezone))
async def typed_timezone(message: Message, db: AsyncSession, state: FSMContext) -> None:
    if message.text is None:
        await message.answer(texts.ASK_TIMEZONE)
        return
    user = await sender(db, message)
    await update_settings(db, user, timezone=message.text)
    await db.commit()
    await state.clear()
    await message.answer(render(user), reply_markup=keyboards.main(user))


@router.callback_query(SettingsAction.filter())
async def settings_action(
    callback: CallbackQuery, callback_data: SettingsAction, db: AsyncSession, state: FSMContext
) -> None:
    user = await presser(db, callback)
    action, value = callback_data.action, callback_data.value
    text, markup = render(user), keyboards.main(user)
    await state.clear()
    if action == "tz":
        await state.set_state(SettingsForm.timezone)
        text, markup = texts.ASK_TIMEZONE, keyboards.timezones()
    elif action == "tzset" and value.isdigit() and int(value) < len(keyboards.TIMEZONES):
        await update_settings(db, user, timezone=keyboards.TIMEZONES[int(value)])
        text = render(user)
    elif action == "day":
        text, markup = texts.ASK_WEEKDAY, keyboards.weekdays()
    elif action == "dayset" and value.isdigit():
        await update_settings(db, user, report_weekday=int(value))
        weekday = texts.WEEKDAYS[user.report_weekday]
        text, markup = texts.ASK_HOUR.format(weekday=weekday), keyboards.hours()
    elif action == "hourset" and value.isdigit():
        await update_settings(db, user, report_hour=int(value))
        text = render(user)
    elif action == "titles":
        await update_settings(db, user, track_titles=not user.track_titles)
        text, markup = render(user), keyboards.main(user)
    elif action == "ai":
        await update_settings(db, user, ai_enabled=not user.ai_enabled)
        text, markup = render(user), keyboards.main(user)
    elif action == "hosts":
        text, markup = await hosts_page(db, user)
    await db.commit()
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(text, reply_markup=markup)


async def hosts_page(db: AsyncSession, user: User) -> tuple[str, keyboards.Markup]:
    rules = await user_rules(db, user.id)
    hosts = await seen_hosts(db, user.id, limit=HOSTS_SHOWN)
    if not hosts:
        return texts.NO_HOSTS, keyboards.back()
    shown = [(host, digest(host), categorize(host, rules).value) for host in hosts]
    lines = [
        texts.HOST_LINE.format(mark=texts.MARKS.get(c, "▫️"), host=quote(h)) for h, _, c in shown
    ]
    return texts.HOSTS.format(lines="\n".join(lines)), keyboards.hosts(shown)


@router.callback_query(HostCategory.filter())
async def host_category(
    callback: CallbackQuery, callback_data: HostCategory, db: AsyncSession
) -> None:
    user = await presser(db, callback)
    rules = await user_rules(db, user.id)
    candidates = await seen_hosts(db, user.id, limit=HOSTS_SHOWN) + list(rules)
    host = next((h for h in candidates if digest(h) == callback_data.digest), None)
    if host is None or not isinstance(callback.message, Message):
        await callback.answer(texts.UNKNOWN_HOST)
        return
    if callback_data.category in texts.CATEGORIES:
        await set_category(db, user.id, host, Category(callback_data.category))
        text, markup = await hosts_page(db, user)
        await db.commit()
        await callback.answer(texts.SAVED)
    else:
        current = texts.CATEGORIES[categorize(host, rules).value]
        text = texts.ASK_CATEGORY.format(host=quote(host), category=current)
        markup = keyboards.categories(callback_data.digest)
        await db.commit()
        await callback.answer()
    await callback.message.edit_text(text, reply_markup=markup)
