"""The fake Telegram's world (users, chats, messages, updates) and its test controls."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.fakes.telegram_content import command_entities
from tests.fakes.telegram_limits import FloodControl, RateLimits
from tests.fakes.telegram_models import (
    ApiCall,
    ApiError,
    FakeCallbackQuery,
    FakeChat,
    FakeFile,
    FakeMessage,
    FakeUser,
)
from tests.fakes.telegram_params import Params
from tests.fakes.telegram_updates import Update, UpdateQueue, Webhook
from tests.fakes.telegram_waits import ChatRef, Waits

Handler = Callable[["TelegramWorld", Params], Awaitable[Any]]
MethodTable = dict[str, tuple[str, Handler]]
DEFAULT_TOKEN = "123456789:AAFakeTokenForQualityTimeTests_0123456"


class TelegramWorld(Waits):
    """State of the fake Bot API plus the controls tests use to play the users."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "qtime_test_bot",
        limits: RateLimits | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.bot = FakeUser(
            int(token.split(":")[0]), "Quality Time", bot_username, None, None, True
        )
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[int, dict[int, FakeMessage]] = {}
        self.files: dict[str, FakeFile] = {}
        self.callbacks: dict[str, FakeCallbackQuery] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.updates: list[Update] = []
        self.calls: list[ApiCall] = []
        self.flood = FloodControl(limits or RateLimits())
        self.queue = UpdateQueue()
        self.webhook = Webhook(self.queue, self.call, self.changed)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(-1_001_000_000_001, -1)
        self._update_ids = itertools.count(500_000_001)

    async def call(self, method: str, fields: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Serve one Bot API call; returns the HTTP status and the JSON body."""
        raise NotImplementedError

    # --- bookkeeping used by the Bot API methods --------------------------------------------

    def record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.changed()

    def new_message(self, chat: FakeChat, sender: FakeUser, **content: Any) -> FakeMessage:
        message = FakeMessage(
            chat.next_message_id, chat, int(time.time()), sender, from_bot=sender.is_bot, **content
        )
        chat.next_message_id += 1
        self.messages.setdefault(chat.id, {})[message.message_id] = message
        self.touch(message)
        return message

    def touch(self, message: FakeMessage) -> None:
        self.changed()
        message.seq = self._seq

    def find_message(self, chat: FakeChat, message_id: int) -> FakeMessage | None:
        message = self.messages.get(chat.id, {}).get(message_id)
        return None if message is None or message.deleted else message

    def chat_for_api(self, chat_id: int) -> FakeChat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def push_update(self, kind: str, payload: dict[str, Any]) -> Update:
        update: Update = {"update_id": next(self._update_ids), kind: payload}
        self.updates.append(update)
        self.queue.push(update)
        return update

    # --- controls: users and chats ----------------------------------------------------------

    def add_user(
        self,
        first_name: str = "Alice",
        *,
        username: str | None = None,
        user_id: int | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """A Telegram user with a private chat with the bot (chat id == user id)."""
        user = FakeUser(user_id or next(self._user_ids), first_name, username, None, language_code)
        self.users[user.id] = user
        self.chats[user.id] = FakeChat(user.id, "private", user=user)
        return user

    def add_group(self, title: str) -> FakeChat:
        """A supergroup; users write there with `send_message(user, text, chat=group)`."""
        chat = FakeChat(next(self._group_ids), "supergroup", title=title)
        self.chats[chat.id] = chat
        return chat

    def chat(self, ref: ChatRef) -> FakeChat:
        if isinstance(ref, FakeChat | FakeMessage):
            return ref if isinstance(ref, FakeChat) else ref.chat
        chat_id = ref.id if isinstance(ref, FakeUser) else ref
        if chat_id not in self.chats:
            raise LookupError(f"no chat {chat_id}; add it with add_user()")
        return self.chats[chat_id]

    def block(self, user: FakeUser | int, *, notify: bool = False) -> None:
        """The user blocks the bot: sends to them get 403 from now on."""
        self._set_blocked(user, True, notify)

    def unblock(self, user: FakeUser | int, *, notify: bool = False) -> None:
        self._set_blocked(user, False, notify)

    def _set_blocked(self, user: FakeUser | int, blocked: bool, notify: bool) -> None:
        chat = self.chat(user)
        chat.blocked = blocked
        if notify and chat.user is not None:
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            bot = self.bot.to_api()
            self.push_update(
                "my_chat_member",
                {
                    "chat": chat.to_api(),
                    "from": chat.user.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": old, "user": bot, "until_date": 0},
                    "new_chat_member": {"status": new, "user": bot, "until_date": 0},
                },
            )

    # --- controls: what users do ------------------------------------------------------------

    def send_message(
        self, user: FakeUser, text: str, *, chat: ChatRef | None = None
    ) -> FakeMessage:
        """The user sends `text`; commands get `bot_command` entities like Telegram sets."""
        target = self.chat(chat if chat is not None else user)
        message = self.new_message(target, user, text=text, entities=command_entities(text))
        self.push_update("message", message.to_api())
        return message

    def click(
        self,
        user: FakeUser,
        message: FakeMessage,
        *,
        text: str | None = None,
        data: str | None = None,
        force: bool = False,
    ) -> FakeCallbackQuery:
        """Press an inline button by its text or callback_data.

        The button must be on the message as it looks now; `force=True` delivers
        `data` anyway, like a client still showing an outdated keyboard.
        """
        current = self.find_message(message.chat, message.message_id)
        if force:
            if data is None:
                raise ValueError("force=True needs data=")
            callback_data = data
        else:
            if current is None:
                raise LookupError(f"message {message.message_id} is deleted")
            button = current.find_button(text=text, data=data)
            if "callback_data" not in button:
                raise ValueError(f"button {button} sends no callback query")
            callback_data = str(button["callback_data"])
        shown = current or message
        query_id = str(secrets.randbits(62))
        update = self.push_update(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": shown.to_api(),
                "chat_instance": str(abs(shown.chat.id) * 7919),
                "data": callback_data,
            },
        )
        query = FakeCallbackQuery(query_id, user, shown, callback_data, update["update_id"])
        self.callbacks[query_id] = query
        return query

    def redeliver(self, update_id: int) -> Update:
        """Deliver an update again with the same update_id, as after a webhook timeout."""
        update = next((u for u in self.updates if u["update_id"] == update_id), None)
        if update is None:
            raise LookupError(f"no update {update_id}")
        self.queue.redeliver(update)
        return update

    # --- controls: what tests read ----------------------------------------------------------

    def history(self, chat: ChatRef) -> list[FakeMessage]:
        """Messages the user sees now, oldest first, with edits applied."""
        messages = self.messages.get(self.chat(chat).id, {}).values()
        return [m for m in messages if not m.deleted]

    def bot_messages(self, chat: ChatRef) -> list[FakeMessage]:
        return [m for m in self.history(chat) if m.from_bot]

    def last_bot_message(self, chat: ChatRef) -> FakeMessage | None:
        messages = self.bot_messages(chat)
        return messages[-1] if messages else None

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def errors(self) -> list[ApiCall]:
        """Calls answered with an error (so tests can assert the bot coped)."""
        return [c for c in self.calls if not c.ok]

    # --- controls: failures -----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        retry_after: int = 1,
        error_code: int = 429,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with an error (429 by default)."""
        if error_code == 429:
            text = description or f"Too Many Requests: retry after {retry_after}"
            error = ApiError(429, text, retry_after=retry_after)
        else:
            error = ApiError(error_code, description or "Internal Server Error")
        self.flood.fail_next(method, times, error)

    def set_rate_limits(self, limits: RateLimits) -> None:
        self.flood.configure(limits)


def registrar(table: MethodTable) -> Callable[[str], Callable[[Handler], Handler]]:
    """A decorator registering Bot API method handlers in `table` by lower-cased name."""

    def method(name: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            table[name.lower()] = (name, handler)
            return handler

        return register

    return method
