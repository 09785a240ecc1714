"""Domain errors from `core`, turned into a reply or a button answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot import texts
from bot.texts import review as review_texts
from core.errors import DomainError, ReviewClosed

router = Router(name="errors")


def explain(exc: BaseException) -> str:
    if isinstance(exc, ReviewClosed):
        return review_texts.CLOSED
    reason = str(exc).strip() or "that did not work"
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith((".", "!", "?")) else ".")


@router.error(ExceptionTypeFilter(DomainError), F.update.message.as_("message"))
async def in_chat(event: ErrorEvent, message: Message) -> None:
    await message.answer(texts.ERROR.format(reason=texts.quote(explain(event.exception))))


@router.error(ExceptionTypeFilter(DomainError), F.update.callback_query.as_("callback"))
async def on_button(event: ErrorEvent, callback: CallbackQuery) -> None:
    await callback.answer(explain(event.exception)[:200])
