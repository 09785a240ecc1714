"""Onboarding: /start greets the user and creates their account (with a code from the
extension's deep link, it offers to link their browser too); /help lists the commands."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.handlers.link import ask
from bot.identity import sender, upsert_sender

router = Router(name="start")


@router.message(CommandStart(deep_link=True))
async def start_with_code(
    message: Message, command: CommandObject, db: AsyncSession, queue: Redis
) -> None:
    """`/start <code>`, sent by the extension's `t.me/<bot>?start=<code>` link: asks first."""
    user = await sender(db, message)
    await ask(message, db, queue, user, command.args or "")


@router.message(CommandStart())
async def start(message: Message, db: AsyncSession) -> None:
    user, created = await upsert_sender(db, message)
    await db.commit()
    template = texts.WELCOME_NEW if created else texts.WELCOME_BACK
    await message.answer(template.format(name=texts.quote(user.first_name)))


@router.message(Command("help"))
async def help_(message: Message) -> None:
    await message.answer(texts.HELP)
