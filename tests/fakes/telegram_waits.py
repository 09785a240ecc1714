"""Waiting for the bot: helpers that re-check a condition at every change of the fake."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from tests.fakes.telegram_models import ApiCall, FakeChat, FakeMessage, FakeUser

T = TypeVar("T")
ChatRef = int | FakeUser | FakeChat | FakeMessage
POLL_INTERVAL = 0.05


class Waits:
    """A change counter and the waits built on it; TelegramWorld supplies the state."""

    def __init__(self) -> None:
        self._seq = 0
        self._changed = asyncio.Event()

    def history(self, chat: ChatRef) -> list[FakeMessage]:
        raise NotImplementedError

    def calls_of(self, method: str) -> list[ApiCall]:
        raise NotImplementedError

    @property
    def seq(self) -> int:
        """A counter bumped by every change of the fake; pass it as `since=` to waits."""
        return self._seq

    def changed(self) -> None:
        self._seq += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(
        self, condition: Callable[[], T | None], timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait until `condition()` is truthy and return it.

        It is re-checked at every change of the fake and every POLL_INTERVAL, so it
        may also look at state outside the fake (a database, a webhook receiver).
        """
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, POLL_INTERVAL))

    async def wait_for(
        self,
        chat: ChatRef,
        predicate: Callable[[FakeMessage], bool],
        timeout: float = 5.0,
        *,
        since: int = 0,
        from_bot: bool = True,
    ) -> FakeMessage:
        """The newest visible message matching `predicate`, created or edited after `since`."""

        def match() -> FakeMessage | None:
            for message in reversed(self.history(chat)):
                fresh = message.seq > since and (message.from_bot or not from_bot)
                if fresh and predicate(message):
                    return message
            return None

        try:
            return await self.wait_until(match, timeout)
        except TimeoutError:
            seen = [
                (m.message_id, m.from_bot, m.content[:80], m.button_texts)
                for m in self.history(chat)
            ]
            raise TimeoutError(f"no matching message within {timeout}s; history: {seen}") from None

    async def wait_for_text(
        self, chat: ChatRef, text: str, timeout: float = 5.0, *, since: int = 0
    ) -> FakeMessage:
        """The newest bot message whose text or caption contains `text`."""
        return await self.wait_for(chat, lambda m: text in m.content, timeout, since=since)

    async def wait_for_call(
        self, method: str, predicate: Callable[[ApiCall], bool] | None = None, timeout: float = 5.0
    ) -> ApiCall:
        """The first recorded call of `method` matching `predicate`."""

        def match() -> ApiCall | None:
            calls = self.calls_of(method)
            return next((c for c in calls if predicate is None or predicate(c)), None)

        return await self.wait_until(match, timeout, f"a {method} call")
