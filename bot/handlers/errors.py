"""Errors, turned into a reply or a button answer: a domain error from `core` says what
was wrong; anything unexpected is logged and the user is told to try again, so a button's
spinner never hangs."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot import texts
from bot.texts import review as review_texts
from core.errors import DomainError, ReviewClosed

router = Router(name="errors")
log = logging.getLogger(__name__)


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


# Registered after the domain handlers, so these see only what those did not take.
@router.error(F.update.callback_query.as_("callback"))
async def unexpected_on_button(event: ErrorEvent, callback: CallbackQuery) -> None:
    _log(event)
    with suppress(TelegramAPIError):  # Telegram itself may be what failed
        await callback.answer(texts.UNEXPECTED)


@router.error(F.update.message.as_("message"))
async def unexpected_in_chat(event: ErrorEvent, message: Message) -> None:
    _log(event)
    with suppress(TelegramAPIError):
        await message.answer(texts.ERROR.format(reason=texts.UNEXPECTED))


def _log(event: ErrorEvent) -> None:
    log.error(
        "update failed", exc_info=event.exception, extra={"update_id": event.update.update_id}
    )
