"""What the fake Telegram remembers: users, chats, messages, files and API calls."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any


class ApiError(Exception):
    """A Bot API error response: `{"ok": false, "error_code", "description"}`."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "en"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data


@dataclass
class FakeChat:
    id: int
    type: str = "private"
    title: str | None = None
    user: FakeUser | None = None
    blocked: bool = False
    next_message_id: int = 1

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None and self.type == "private":
            data["first_name"] = self.user.first_name
            if self.user.username:
                data["username"] = self.user.username
        if self.title is not None:
            data["title"] = self.title
        return data


@dataclass
class FakeFile:
    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None = None
    mime_type: str | None = None


@dataclass
class FakeMessage:
    """A message as the user currently sees it (edits applied)."""

    message_id: int
    chat: FakeChat
    date: int
    sender: FakeUser
    from_bot: bool
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: FakeFile | None = None
    document: FakeFile | None = None
    edit_date: int | None = None
    deleted: bool = False
    seq: int = 0  # the fake's change counter at the last create or edit

    @property
    def content(self) -> str:
        """The text, or the caption of a photo or document."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of inline keyboard buttons (empty when there is no inline keyboard)."""
        rows: list[list[dict[str, Any]]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return rows

    @property
    def button_texts(self) -> list[str]:
        return [str(button["text"]) for row in self.buttons for button in row]

    def find_button(self, *, text: str | None = None, data: str | None = None) -> dict[str, Any]:
        for row in self.buttons:
            for button in row:
                if (text is None or button.get("text") == text) and (
                    data is None or button.get("callback_data") == data
                ):
                    return button
        raise LookupError(
            f"no button text={text!r} data={data!r} on message {self.message_id}; "
            f"buttons: {self.buttons}"
        )

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "date": self.date,
        }
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.photo is not None:
            data["photo"] = photo_sizes(self.photo)
        if self.document is not None:
            data["document"] = _document(self.document)
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    def to_view(self) -> dict[str, Any]:
        """JSON view for the HTTP control API: the API shape plus uploaded bytes."""
        view = self.to_api()
        view["from_bot"] = self.from_bot
        for name, file in (("photo_bytes", self.photo), ("document_bytes", self.document)):
            if file is not None:
                view[name] = base64.b64encode(file.data).decode()
        return view


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 320, 240


def photo_sizes(file: FakeFile) -> list[dict[str, Any]]:
    width, height = _png_size(file.data)
    return [
        {
            "file_id": file.file_id,
            "file_unique_id": file.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(file.data),
        }
    ]


def _document(file: FakeFile) -> dict[str, Any]:
    data: dict[str, Any] = {
        "file_id": file.file_id,
        "file_unique_id": file.file_unique_id,
        "file_size": len(file.data),
    }
    if file.filename:
        data["file_name"] = file.filename
    if file.mime_type:
        data["mime_type"] = file.mime_type
    return data


@dataclass
class FakeCallbackQuery:
    """A button press the fake delivered; `answered` flips when the bot answers it."""

    id: str
    user: FakeUser
    message: FakeMessage
    data: str
    update_id: int
    answered: bool = False
    answer: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApiCall:
    """One Bot API request the fake served, with the response it gave."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def description(self) -> str | None:
        value = self.response.get("description")
        return None if value is None else str(value)

    def to_view(self) -> dict[str, Any]:
        params = {k: v for k, v in self.params.items() if not isinstance(v, FakeFile)}
        return {
            "method": self.method,
            "params": params,
            "status": self.status,
            "response": self.response,
            "at": self.at,
        }
