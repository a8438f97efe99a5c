"""A stand-in Telegram Bot API server for tests (aiohttp on 127.0.0.1, ephemeral port).

It records every method call with its params, serves ``getUpdates`` from a queue the test fills
(honouring ``offset`` and ``timeout``, so real long polling works) and answers scripted errors
(429 with retry_after, 403, 400, 5xx, migrate_to_chat_id) before falling back to success.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "scope"}


@dataclass
class Scripted:
    status: int
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    token: str
    params: dict[str, Any]


class StandIn:
    """``async with StandIn() as api: api.url`` is the base for ``TELEGRAM_API_URL``."""

    def __init__(self, username: str = "onpbx_test_bot", bot_id: int = 4242) -> None:
        self.username = username
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.url = ""
        self._scripts: dict[str, list[Scripted]] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None

    # --- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> StandIn:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- scripting ----------------------------------------------------------------------
    def script(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """The next call of ``method`` fails this way (queue several by calling again)."""
        self._scripts.setdefault(method, []).append(Scripted(status, description, parameters))

    def push_update(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return int(update["update_id"])

    def push_message(
        self,
        chat_id: int,
        text: str | None,
        *,
        user_id: int = 777,
        first_name: str = "Ivan",
        last_name: str | None = "Petrov",
        username: str | None = "ivan",
        language_code: str = "en",
        title: str | None = None,
        **extra: Any,
    ) -> int:
        """A message update; a negative ``chat_id`` is a group titled ``title``."""
        chat: dict[str, Any] = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        if chat_id > 0:
            chat["first_name"] = first_name
        else:
            chat["title"] = title or "Group"
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat}
        message["from"] = user
        if text is not None:
            message["text"] = text
        message.update(extra)
        return self.push_update({"message": message})

    def push_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int = 777, language_code: str = "en"
    ) -> int:
        user = {"id": user_id, "is_bot": False, "first_name": "Ivan", "language_code": language_code}
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "Group"}
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": "card"}
        query = {"id": f"q{message_id}", "from": user, "chat_instance": "ci", "data": data}
        query["message"] = message
        return self.push_update({"callback_query": query})

    # --- reading ------------------------------------------------------------------------
    def of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 5.0) -> list[dict[str, Any]]:
        """Waits until ``method`` was called ``count`` times; returns those calls' params."""
        async with asyncio.timeout(within):
            while len(self.of(method)) < count:
                async with self._changed:
                    await self._changed.wait()
        return self.of(method)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- serving ------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = self._params(await request.post())
        self.calls.append(Call(method, request.match_info["token"], params))
        await self._notify()
        queue = self._scripts.get(method)
        if queue:
            err = queue.pop(0)
            body = {"ok": False, "error_code": err.status, "description": err.description}
            if err.parameters:
                body["parameters"] = err.parameters
            return web.json_response(body, status=err.status)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        return self._answer(method, params)

    @staticmethod
    def _params(form: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):  # a multipart upload (sendPhoto): keep its bytes
                value = {"filename": value.filename, "content_type": value.content_type,
                         "data": value.file.read()}
            out[key] = json.loads(value) if key in JSON_FIELDS and isinstance(value, str) else value
        return out

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        deadline = time.monotonic() + float(params.get("timeout", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        while not self._updates and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
        return list(self._updates[:100])

    def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        if method == "getMe":
            return _ok({"id": self.bot_id, "is_bot": True, "first_name": "Test", "username": self.username})
        if method in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "G"}
            mid = int(params.get("message_id") or next(self._message_ids))
            return _ok({"message_id": mid, "date": int(time.time()), "chat": chat, "text": params["text"]})
        if method == "sendPhoto":
            chat_id = int(params["chat_id"])
            chat = {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "G"}
            photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 800, "height": 400}]
            msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                   "photo": photo}
            if params.get("caption"):
                msg["caption"] = params["caption"]
            return _ok(msg)
        if method in ("answerCallbackQuery", "setMyCommands", "setWebhook", "deleteWebhook"):
            return _ok(True)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found: method not found"}, status=404
        )


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
