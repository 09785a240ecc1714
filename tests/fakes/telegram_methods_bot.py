"""Bot API methods about the bot itself: identity, updates, webhook and commands."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.telegram_models import ApiError, bad_request
from tests.fakes.telegram_params import Params
from tests.fakes.telegram_world import MethodTable, TelegramWorld, registrar

METHODS: MethodTable = {}
method = registrar(METHODS)
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@method("getMe")
async def get_me(w: TelegramWorld, p: Params) -> Any:
    return w.bot.to_api() | {
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("getUpdates")
async def get_updates(w: TelegramWorld, p: Params) -> Any:
    if w.webhook.active:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    allowed = p.get_json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        w.queue.allowed = [str(kind) for kind in allowed]
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    timeout = min(max(p.get_int("timeout", 0) or 0, 0), 50)
    return await w.queue.get(p.get_int("offset", 0) or 0, limit, timeout)


@method("setWebhook")
async def set_webhook(w: TelegramWorld, p: Params) -> Any:
    url = p.get_str("url", "") or ""
    if not url:
        return await delete_webhook(w, p)
    if not re.match(r"^https?://", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    if p.get_bool("drop_pending_updates"):
        w.queue.clear()
    allowed = p.get_json("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        w.queue.allowed = [str(kind) for kind in allowed]
    w.webhook.set(url, secret or None, p.get_int("max_connections", 40) or 40)
    return True


@method("deleteWebhook")
async def delete_webhook(w: TelegramWorld, p: Params) -> Any:
    if p.get_bool("drop_pending_updates"):
        w.queue.clear()
    await w.webhook.delete()
    return True


@method("getWebhookInfo")
async def get_webhook_info(w: TelegramWorld, p: Params) -> Any:
    return w.webhook.info()


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.get_json("scope", "bot command scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.get_str("language_code", "") or ""


@method("setMyCommands")
async def set_my_commands(w: TelegramWorld, p: Params) -> Any:
    commands = p.get_json("commands", "bot commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse bot commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND_NAME.match(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    w.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("deleteMyCommands")
async def delete_my_commands(w: TelegramWorld, p: Params) -> Any:
    w.commands.pop(_commands_key(p), None)
    return True


@method("getMyCommands")
async def get_my_commands(w: TelegramWorld, p: Params) -> Any:
    return w.commands.get(_commands_key(p), [])
