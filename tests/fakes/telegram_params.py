"""Bot API request parameters: JSON, urlencoded and multipart bodies, typed access.

Like Telegram, every parameter may arrive as a string (aiogram JSON-encodes
nested objects inside form fields) or as a native JSON value.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.multipart import MultipartResponseWrapper

from tests.fakes.telegram_models import FakeFile, bad_request

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def make_file(data: bytes, filename: str | None, mime_type: str | None) -> FakeFile:
    digest = hashlib.sha256(data).hexdigest()
    return FakeFile(f"FAKE-{digest[:24]}", digest[:16], data, filename, mime_type)


async def read_multipart(reader: MultipartReader | MultipartResponseWrapper) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        if part.filename is not None:
            fields[part.name] = make_file(
                bytes(data), part.filename, part.headers.get("Content-Type")
            )
        else:
            fields[part.name] = bytes(data).decode()
    return fields


async def read_request(request: web.Request) -> dict[str, Any]:
    """All parameters of a Bot API request: query string merged with the body."""
    fields: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return fields
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON object") from exc
        if isinstance(body, dict):
            fields.update(body)
    elif request.content_type.startswith("multipart/"):
        fields.update(await read_multipart(await request.multipart()))
    else:
        fields.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
    return fields


class Params:
    """Typed access to request parameters; raises Telegram's 400s on bad values."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def __contains__(self, name: str) -> bool:
        return self.fields.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.fields.get(name)

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.fields.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.fields.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def require_int(self, name: str, empty: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(empty)
        return value

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.fields.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise bad_request(f"invalid {name} specified")

    def get_json(self, name: str, what: str) -> Any:
        """A nested object or array; `what` names it in the error, as Telegram does."""
        value = self.fields.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {what} JSON object") from exc

    def get_file(self, name: str) -> FakeFile | str | None:
        """An uploaded file (directly or via `attach://`), or a file_id/URL string."""
        value = self.fields.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = self.fields.get(value.removeprefix("attach://"))
            if not isinstance(value, FakeFile):
                raise bad_request(f"wrong {name} attachment")
        if isinstance(value, FakeFile | str):
            return value
        return None


def chat_id_of(params: Params) -> int:
    """`chat_id` as an int; usernames (`@name`) are unknown chats to this fake."""
    value = params.raw("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request("chat not found") from exc
