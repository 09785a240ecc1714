"""Onboarding: /start greets the user and creates their account; /help lists commands."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from core.users import upsert_telegram_user

router = Router(name="start")


@router.message(CommandStart())
async def start(message: Message, db: AsyncSession) -> None:
    assert message.from_user is not None
    sender = message.from_user
    _, created = await upsert_telegram_user(
        db,
        telegram_id=sender.id,
        chat_id=message.chat.id,
        first_name=sender.first_name,
        language=sender.language_code,
    )
    template = texts.WELCOME_NEW if created else texts.WELCOME_BACK
    await message.answer(template.format(name=texts.quote(sender.first_name)))


@router.message(Command("help"))
async def help_(message: Message) -> None:
    await message.answer(texts.HELP)
