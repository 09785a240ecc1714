"""Who sent an update, as our user."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts.users import get_by_telegram_id, upsert_telegram_user
from core.db.models import User
from core.errors import NotFound


async def sender(db: AsyncSession, message: Message) -> User:
    """The user who wrote `message`, created on first contact."""
    user, _ = await upsert_sender(db, message)
    return user


async def upsert_sender(db: AsyncSession, message: Message) -> tuple[User, bool]:
    """The user who wrote `message`, and whether this made their account."""
    assert message.from_user is not None
    author = message.from_user
    return await upsert_telegram_user(
        db,
        telegram_id=author.id,
        chat_id=message.chat.id,
        first_name=author.first_name,
        language=author.language_code,
    )


async def presser(db: AsyncSession, callback: CallbackQuery) -> User:
    """The known user who pressed a button; NotFound if they deleted their data since."""
    user = await get_by_telegram_id(db, callback.from_user.id)
    if user is None:
        raise NotFound("I don't know you yet: send /start")
    return user
