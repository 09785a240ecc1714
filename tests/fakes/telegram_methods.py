"""Bot API methods about messages, with Telegram's checks and error texts."""

from __future__ import annotations

import mimetypes
import re
import time
from typing import Any

from tests.fakes.telegram_content import check_markup, format_text
from tests.fakes.telegram_models import FakeChat, FakeFile, FakeMessage, bad_request
from tests.fakes.telegram_params import Params, chat_id_of
from tests.fakes.telegram_world import MethodTable, TelegramWorld, registrar

METHODS: MethodTable = {}
method = registrar(METHODS)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF")


def _chat(w: TelegramWorld, p: Params) -> FakeChat:
    return w.chat_for_api(chat_id_of(p))


def _editable(w: TelegramWorld, p: Params) -> FakeMessage:
    if "inline_message_id" in p:
        raise bad_request("MESSAGE_ID_INVALID")
    chat = _chat(w, p)
    message_id = p.require_int("message_id", "message identifier is not specified")
    message = w.find_message(chat, message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _markup(p: Params) -> dict[str, Any] | None:
    return check_markup(p.get_json("reply_markup", "reply keyboard markup"))


def _check_reply(w: TelegramWorld, chat: FakeChat, p: Params) -> None:
    reply = p.get_json("reply_parameters", "reply parameters") or {}
    reply_to = reply.get("message_id") if isinstance(reply, dict) else None
    reply_to = reply_to or p.get_int("reply_to_message_id")
    allow = isinstance(reply, dict) and bool(reply.get("allow_sending_without_reply"))
    if reply_to and not allow and w.find_message(chat, int(reply_to)) is None:
        raise bad_request("message to be replied not found")


def _apply_edit(w: TelegramWorld, message: FakeMessage, changes: dict[str, Any]) -> Any:
    if all(getattr(message, key) == value for key, value in changes.items()):
        raise bad_request(NOT_MODIFIED)
    for key, value in changes.items():
        setattr(message, key, value)
    message.edit_date = int(time.time())
    w.touch(message)
    return message.to_api()


@method("sendMessage")
async def send_message(w: TelegramWorld, p: Params) -> Any:
    chat = _chat(w, p)
    text, entities = format_text(
        p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities", "entities")
    )
    markup = _markup(p)
    _check_reply(w, chat, p)
    w.flood.check_send("sendMessage", chat.id)
    message = w.new_message(chat, w.bot, text=text, entities=entities, reply_markup=markup)
    return message.to_api()


@method("editMessageText")
async def edit_message_text(w: TelegramWorld, p: Params) -> Any:
    message = _editable(w, p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = format_text(
        p.get_str("text"), p.get_str("parse_mode"), p.get_json("entities", "entities")
    )
    changes = {"text": text, "entities": entities, "reply_markup": _markup(p)}
    return _apply_edit(w, message, changes)


@method("editMessageCaption")
async def edit_message_caption(w: TelegramWorld, p: Params) -> Any:
    message = _editable(w, p)
    if message.text is not None:
        raise bad_request("there is no caption in the message to edit")
    caption, entities = format_text(
        p.get_str("caption"),
        p.get_str("parse_mode"),
        p.get_json("caption_entities", "caption entities"),
        caption=True,
    )
    changes = {"caption": caption or None, "caption_entities": entities}
    return _apply_edit(w, message, changes | {"reply_markup": _markup(p)})


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(w: TelegramWorld, p: Params) -> Any:
    message = _editable(w, p)
    return _apply_edit(w, message, {"reply_markup": _markup(p)})


@method("deleteMessage")
async def delete_message(w: TelegramWorld, p: Params) -> Any:
    chat = _chat(w, p)
    message_id = p.require_int("message_id", "message identifier is not specified")
    message = w.find_message(chat, message_id)
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    w.touch(message)
    return True


@method("answerCallbackQuery")
async def answer_callback_query(w: TelegramWorld, p: Params) -> Any:
    query = w.callbacks.get(p.get_str("callback_query_id", "") or "")
    if query is None or query.answered:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get_str("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {
        "text": text,
        "show_alert": p.get_bool("show_alert"),
        "url": p.get_str("url"),
        "cache_time": p.get_int("cache_time", 0),
    }
    w.changed()
    return True


@method("sendChatAction")
async def send_chat_action(w: TelegramWorld, p: Params) -> Any:
    chat = _chat(w, p)
    action = p.get_str("action", "") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    w.chat_actions.append((chat.id, action))
    return True


def _input_file(w: TelegramWorld, p: Params, name: str, image: bool) -> FakeFile:
    value = p.get_file(name)
    if value is None or value == "":
        raise bad_request(f"there is no {name} in the request")
    if isinstance(value, str):
        if re.match(r"^https?://", value):
            raise bad_request("failed to get HTTP URL content")
        known = w.files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known
    if image and not value.data.startswith(_IMAGE_MAGIC):
        raise bad_request("IMAGE_PROCESS_FAILED")
    if not image and value.filename and value.mime_type in (None, "application/octet-stream"):
        value.mime_type = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
    w.files[value.file_id] = value
    return value


async def _send_file(w: TelegramWorld, p: Params, name: str, api_method: str) -> Any:
    chat = _chat(w, p)
    file = _input_file(w, p, name, image=name == "photo")
    caption, entities = format_text(
        p.get_str("caption"),
        p.get_str("parse_mode"),
        p.get_json("caption_entities", "caption entities"),
        caption=True,
    )
    markup = _markup(p)
    _check_reply(w, chat, p)
    w.flood.check_send(api_method, chat.id)
    content: dict[str, Any] = {name: file, "reply_markup": markup}
    if caption:
        content |= {"caption": caption, "caption_entities": entities}
    return w.new_message(chat, w.bot, **content).to_api()


@method("sendPhoto")
async def send_photo(w: TelegramWorld, p: Params) -> Any:
    return await _send_file(w, p, "photo", "sendPhoto")


@method("sendDocument")
async def send_document(w: TelegramWorld, p: Params) -> Any:
    return await _send_file(w, p, "document", "sendDocument")
