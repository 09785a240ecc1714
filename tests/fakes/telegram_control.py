"""HTTP test controls under `/_fake/...`, for a fake running as a separate process.

Every route takes and returns JSON; test-control mistakes answer 400 or 404
with `{"error": "..."}`, and waits that time out answer 408.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.telegram_limits import RateLimits
from tests.fakes.telegram_models import FakeUser
from tests.fakes.telegram_world import TelegramWorld

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def control_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    if not request.path.startswith("/_fake/"):
        return await handler(request)
    try:
        return await handler(request)
    except KeyError as exc:
        return web.json_response({"error": f"missing or unknown: {exc}"}, status=400)
    except LookupError as exc:
        return web.json_response({"error": str(exc)}, status=404)
    except TimeoutError as exc:
        return web.json_response({"error": str(exc)}, status=408)
    except (ValueError, TypeError) as exc:
        return web.json_response({"error": str(exc)}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


class ControlApi:
    """Handlers exposing the Python control API of a TelegramWorld over HTTP."""

    def __init__(self, world: TelegramWorld) -> None:
        self.world = world

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_fake/state", self.state),
            web.post("/_fake/users", self.add_user),
            web.post(r"/_fake/users/{user_id}/{action:block|unblock}", self.block),
            web.post("/_fake/messages", self.send_message),
            web.post("/_fake/clicks", self.click),
            web.get("/_fake/callbacks/{query_id}", self.callback),
            web.post("/_fake/updates/{update_id}/redeliver", self.redeliver),
            web.get("/_fake/chats/{chat_id}/history", self.history),
            web.get("/_fake/calls", self.calls),
            web.post("/_fake/fail_next", self.fail_next),
            web.post("/_fake/rate_limits", self.rate_limits),
            web.post("/_fake/wait", self.wait),
        ]

    def user(self, user_id: Any) -> FakeUser:
        return self.world.users[int(user_id)]

    async def state(self, request: web.Request) -> web.Response:
        world = self.world
        return web.json_response(
            {
                "bot": world.bot.to_api(),
                "users": [u.to_api() for u in world.users.values()],
                "chats": [c.to_api() | {"blocked": c.blocked} for c in world.chats.values()],
                "webhook": world.webhook.info(),
                "seq": world.seq,
            }
        )

    async def add_user(self, request: web.Request) -> web.Response:
        body = await _body(request)
        new = self.world.add_user(
            body.get("first_name", "Alice"),
            username=body.get("username"),
            user_id=body.get("id"),
            language_code=body.get("language_code", "en"),
        )
        return web.json_response(new.to_api())

    async def block(self, request: web.Request) -> web.Response:
        body = await _body(request)
        blocked = request.match_info["action"] == "block"
        setter = self.world.block if blocked else self.world.unblock
        setter(self.user(request.match_info["user_id"]), notify=bool(body.get("notify")))
        return web.json_response({"blocked": blocked})

    async def send_message(self, request: web.Request) -> web.Response:
        body = await _body(request)
        user = self.user(body["user_id"])
        message = self.world.send_message(user, body["text"], chat=body.get("chat_id"))
        update_id = self.world.updates[-1]["update_id"]
        return web.json_response(message.to_view() | {"update_id": update_id})

    async def click(self, request: web.Request) -> web.Response:
        body = await _body(request)
        chat = self.world.chat(body.get("chat_id") or int(body["user_id"]))
        message = self.world.messages[chat.id][int(body["message_id"])]
        query = self.world.click(
            self.user(body["user_id"]),
            message,
            text=body.get("text"),
            data=body.get("data"),
            force=bool(body.get("force")),
        )
        return web.json_response({"callback_query_id": query.id, "update_id": query.update_id})

    async def callback(self, request: web.Request) -> web.Response:
        query = self.world.callbacks[request.match_info["query_id"]]
        return web.json_response({"answered": query.answered, "answer": query.answer})

    async def redeliver(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.redeliver(int(request.match_info["update_id"])))

    async def history(self, request: web.Request) -> web.Response:
        messages = self.world.history(int(request.match_info["chat_id"]))
        return web.json_response([m.to_view() for m in messages])

    async def calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        found = self.world.calls_of(method) if method else self.world.calls
        return web.json_response([c.to_view() for c in found])

    async def fail_next(self, request: web.Request) -> web.Response:
        body = await _body(request)
        self.world.fail_next(
            body["method"],
            int(body.get("times", 1)),
            retry_after=int(body.get("retry_after", 1)),
            error_code=int(body.get("error_code", 429)),
            description=body.get("description"),
        )
        return web.json_response({"ok": True})

    async def rate_limits(self, request: web.Request) -> web.Response:
        self.world.set_rate_limits(RateLimits(**await _body(request)))
        return web.json_response({"ok": True})

    async def wait(self, request: web.Request) -> web.Response:
        body = await _body(request)
        message = await self.world.wait_for_text(
            int(body["chat_id"]),
            body["contains"],
            float(body.get("timeout", 5.0)),
            since=int(body.get("since", 0)),
        )
        return web.json_response(message.to_view())
