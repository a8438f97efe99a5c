"""A local stand-in for Slack: Web API methods, the Socket Mode WebSocket, and response_urls.

It records every call, answers scripted failures first (``script(method, status, body, headers)``)
and hands Socket Mode envelopes to the connected client, recording the acks that come back.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

AUTH = {
    "ok": True,
    "url": "https://t.slack.com/",
    "team": "Team",
    "user": "pbxbot",
    "team_id": "T1",
    "user_id": "UBOT",
    "bot_id": "B1",
}


@dataclass
class Call:
    method: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class SlackStandIn:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # (response_url path id, body)
        self.acks: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}  # file id -> bytes POSTed to its upload URL
        self.scripted: dict[str, list[tuple[int, dict[str, Any], dict[str, str]]]] = {}
        self.changed = asyncio.Condition()
        self.ws: web.WebSocketResponse | None = None
        self.ws_connected = asyncio.Event()
        self._ts = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def script(
        self, method: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self.scripted.setdefault(method, []).append((status, body, headers or {}))

    def ok_calls(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def start(self) -> SlackStandIn:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_get("/link", self._link)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Any, within: float = 5.0) -> None:
        async def waiting() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await asyncio.wait_for(waiting(), within)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            return dict(json.loads(raw))
        if request.method == "GET":
            return dict(request.query)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        return {**dict(request.query), **form}  # slack_sdk sends some methods' params in the query

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._body(request)
        headers = {"authorization": request.headers.get("Authorization", "")}
        if self.scripted.get(method):
            status, answer, extra = self.scripted[method].pop(0)
        else:
            status, answer, extra = 200, self._answer(method, body), {}
        self.calls.append(Call(method, status, body, headers))
        await self._notify()
        return web.json_response(answer, status=status, headers=extra)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return AUTH
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method in ("chat.postMessage", "chat.update"):
            self._ts += 1
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": body.get("ts") or f"1700000000.{self._ts:06d}",
            }
        if method == "files.getUploadURLExternal":  # files_upload_v2, step 1
            file_id = f"F{len(self.uploads) + 1}"
            self.uploads[file_id] = b""
            return {"ok": True, "file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}
        if method == "files.completeUploadExternal":  # step 3
            files = json.loads(str(body.get("files", "[]")))
            missing = [f["id"] for f in files if not self.uploads.get(f["id"])]
            if missing:
                return {"ok": False, "error": "file_not_uploaded"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}
        if method == "users.info":
            return {"ok": True, "user": {"id": body.get("user"), "name": f"name-of-{body.get('user')}"}}
        return {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        """files_upload_v2, step 2: the raw bytes POSTed to the upload URL."""
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = await request.read()
        await self._notify()
        return web.Response(text="OK - " + str(len(self.uploads[file_id])))

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["name"], await self._body(request)))
        await self._notify()
        return web.Response(text="ok")

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self.ws_connected.set()
        await self._notify()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
                await self._notify()
        return ws

    async def send_envelope(self, envelope: dict[str, Any]) -> None:
        assert self.ws is not None, "no Socket Mode client connected"
        await self.ws.send_str(json.dumps(envelope))
