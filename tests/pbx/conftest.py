"""Fixtures for the PBX link tests: a real socket.io@0.9.19 server (tests/node/sio_server.js)
driven over stdin, reporting what it saw as JSON lines on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

KEY = "S3cretKey-0123456789"
DOMAIN = "demo.onpbx.ru"


class NodeServer:
    """A running sio_server.js: send control lines, wait for what it reports."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.seen: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            async with self._changed:
                self.seen.append(json.loads(line))
                self._changed.notify_all()

    def count(self, event: str, name: str | None = None) -> int:
        return len(self.matching(event, name))

    def matching(self, event: str, name: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.seen if m.get("event") == event and (name is None or m.get("name") == name)]

    async def wait_for(
        self, event: str, name: str | None = None, count: int = 1, within: float = 5.0
    ) -> dict[str, Any]:
        async def ready() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self.count(event, name) >= count)

        await asyncio.wait_for(ready(), within)
        return self.matching(event, name)[count - 1]

    async def control(self, **msg: Any) -> None:
        assert self.proc.stdin is not None
        done = self.count("done") + 1
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        await self.proc.stdin.drain()
        await self.wait_for("done", count=done)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


StartServer = Callable[..., Any]


@pytest.fixture
async def start_server(node_dir: Path) -> AsyncIterator[StartServer]:
    """``await start_server(port=0, heartbeatInterval=1, heartbeatTimeout=3)`` -> NodeServer."""
    servers: list[NodeServer] = []

    async def start(**cfg: Any) -> NodeServer:
        config = {
            "port": 0,
            "key": KEY,
            "domain": DOMAIN,
            "heartbeatInterval": 1,
            "heartbeatTimeout": 3,
            **cfg,
        }
        proc = await asyncio.create_subprocess_exec(
            "node",
            str(node_dir / "sio_server.js"),
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=str(node_dir),
        )
        server = NodeServer(proc)
        servers.append(server)
        server.port = (await server.wait_for("listening"))["port"]
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def sio_server(start_server: StartServer) -> NodeServer:
    server: NodeServer = await start_server()
    return server
