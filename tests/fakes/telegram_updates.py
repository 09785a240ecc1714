"""Update delivery: the getUpdates queue with long polling, and webhook pushes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.telegram_models import ApiError
from tests.fakes.telegram_params import read_multipart

log = logging.getLogger(__name__)

NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
Update = dict[str, Any]
Executor = Callable[[str, dict[str, Any]], Awaitable[object]]


def update_type(update: Update) -> str:
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Updates not yet confirmed by the bot, in update_id order."""

    def __init__(self) -> None:
        self.pending: list[Update] = []
        self.redelivered: list[Update] = []
        self.allowed: list[str] = []
        self.closed = False
        self._wake = asyncio.Event()
        self._poll = 0

    def notify(self) -> None:
        """Wake every long poll and the webhook pusher."""
        self._wake.set()
        self._wake = asyncio.Event()

    def changed(self) -> asyncio.Event:
        """An event set at the next change of the queue."""
        return self._wake

    def push(self, update: Update) -> None:
        self.pending.append(update)
        self.notify()

    def redeliver(self, update: Update) -> None:
        """Deliver `update` again with the same update_id, even if it was confirmed."""
        self.redelivered.append(update)
        self.notify()

    def clear(self) -> None:
        self.pending.clear()
        self.redelivered.clear()

    def close(self) -> None:
        self.closed = True
        self.notify()

    def wanted(self, update: Update) -> bool:
        kind = update_type(update)
        return kind in self.allowed if self.allowed else kind not in NOT_BY_DEFAULT

    def confirm(self, offset: int) -> None:
        if offset < 0:
            self.pending = self.pending[offset:]
        elif offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def take(self, limit: int) -> list[Update]:
        self.pending = [u for u in self.pending if self.wanted(u)]
        batch = self.redelivered[:limit]
        del self.redelivered[:limit]
        return batch + self.pending[: limit - len(batch)]

    async def get(self, offset: int, limit: int, timeout: float) -> list[Update]:
        """getUpdates: confirm `offset`, then return at once or wait up to `timeout`."""
        self._poll += 1
        poll = self._poll
        self.notify()
        self.confirm(offset)
        deadline = time.monotonic() + timeout
        while True:
            if poll != self._poll:
                raise ApiError(409, POLL_CONFLICT)
            batch = self.take(limit)
            remaining = deadline - time.monotonic()
            if batch or self.closed or remaining <= 0:
                return batch
            wake = self._wake
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), remaining)


@dataclass
class WebhookDelivery:
    update_id: int
    status: int | None
    error: str | None
    at: float = field(default_factory=time.time)


class Webhook:
    """Pushes queued updates to a webhook URL in order, retrying failures."""

    def __init__(
        self, queue: UpdateQueue, execute: Executor, on_change: Callable[[], None]
    ) -> None:
        self.queue = queue
        self.execute = execute
        self.on_change = on_change
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.timeout = 10.0
        self.retry_delay = 0.2
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def active(self) -> bool:
        return bool(self.url)

    def set(self, url: str, secret_token: str | None, max_connections: int) -> None:
        self.url, self.secret_token, self.max_connections = url, secret_token, max_connections
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        self.queue.notify()

    async def delete(self) -> None:
        self.url = ""
        self.last_error_date = self.last_error_message = None
        await self.close()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending) + len(self.queue.redelivered),
        }
        if self.url:
            info["max_connections"] = self.max_connections
            if self.queue.allowed:
                info["allowed_updates"] = self.queue.allowed
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _run(self) -> None:
        self._session = aiohttp.ClientSession()
        while self.active:
            wake = self.queue.changed()
            batch = self.queue.take(1)
            if not batch:
                await wake.wait()
                continue
            update = batch[0]
            if await self._post(update):
                self.queue.confirm(update["update_id"] + 1)
            else:
                if update not in self.queue.pending:
                    self.queue.redelivered.insert(0, update)
                await asyncio.sleep(self.retry_delay)

    async def _post(self, update: Update) -> bool:
        assert self._session is not None
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": self.secret_token} if self.secret_token else {}
        )
        error: str | None = None
        status: int | None = None
        try:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            async with self._session.post(
                self.url, json=update, headers=headers, timeout=timeout
            ) as response:
                status = response.status
                if 200 <= status < 300:
                    await self._run_reply(response)
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Connection failed: {exc}"
        self.deliveries.append(WebhookDelivery(update["update_id"], status, error))
        self.on_change()
        if error is not None:
            self.last_error_date, self.last_error_message = int(time.time()), error
            log.info("webhook delivery failed", extra={"update_id": update["update_id"]})
        return error is None

    async def _run_reply(self, response: aiohttp.ClientResponse) -> None:
        """A webhook reply may carry one Bot API method call, as Telegram allows."""
        if response.content_type.startswith("multipart/"):
            fields = await read_multipart(aiohttp.MultipartReader.from_response(response))
        elif response.content_type == "application/json":
            body = await response.json(content_type=None)
            fields = body if isinstance(body, dict) else {}
        else:
            return
        method = fields.pop("method", None)
        if isinstance(method, str) and method:
            await self.execute(method, fields)
