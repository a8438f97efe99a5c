"""Ingest throughput of the PBX link: our PbxClient vs Node's socket.io-client 0.9.16, and our
API 3.0 SocketClient beside them.

Strategy: one real socket.io@0.9.19 server (tests/node/sio_server.js) floods N ``channel_*``
events to one connected client at a time; each client times first-to-last event. Same run, same
server, so the ratio compares across machines. For 3.0 a ``ws`` server (tests/node/
ws_flood_server.js) floods the same N events as 3.0 JSON frames in the same run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from adapters.pbx.v2.client import PbxClient
from adapters.pbx.v3.client import SocketClient
from bot.events import PbxEvent

N = 200_000
KEY, DOMAIN = "bench-key", "bench.onpbx.ru"
NODE_DIR = Path(__file__).resolve().parent.parent / "tests" / "node"


class _Server:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def line(self, event: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        while raw := await self.proc.stdout.readline():
            msg: dict[str, Any] = json.loads(raw)
            if msg.get("event") == event:
                return msg
        raise RuntimeError(f"the Node server ended before {event!r}")

    async def send(self, **msg: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        await self.proc.stdin.drain()


async def _start_server() -> tuple[_Server, str]:
    cfg = {"port": 0, "key": KEY, "domain": DOMAIN, "heartbeatInterval": 25, "heartbeatTimeout": 60}
    proc = await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "sio_server.js"), json.dumps(cfg), cwd=str(NODE_DIR),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    server = _Server(proc)
    port = (await server.line("listening"))["port"]
    return server, f"http://127.0.0.1:{port}"


async def _ours(server: _Server, url: str, n: int, *, backlog: bool = False) -> tuple[float, float]:
    """events per second and per CPU second of this process for PbxClient; ``backlog``: it holds
    its first event until the server has written all n (our drain speed, not the server's)."""
    done, flooded = asyncio.Event(), asyncio.Event()
    count, first, first_cpu = 0, 0.0, 0.0

    async def on_event(_: PbxEvent) -> None:
        nonlocal count, first, first_cpu
        if count == 0:
            if backlog:
                await flooded.wait()
            first, first_cpu = time.perf_counter(), time.process_time()
        count += 1
        if count == n:
            done.set()

    async def wait_flooded() -> None:
        await server.line("flooded")
        flooded.set()

    client = PbxClient(url, DOMAIN, KEY, on_event=on_event, command_timeout=30.0)
    task = asyncio.create_task(client.run())
    try:
        await client.wait_connected(10)
        await server.line("command")  # our subscribe arrived: the session is complete
        await server.send(cmd="flood", n=n)
        await asyncio.wait_for(asyncio.gather(done.wait(), wait_flooded()), 300)
        return n / (time.perf_counter() - first), n / (time.process_time() - first_cpu)
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def _theirs(server: _Server, url: str, n: int) -> float:
    proc = await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "ingest_client.js"), url, KEY, DOMAIN, str(n), cwd=str(NODE_DIR),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    client = _Server(proc)
    try:
        await client.line("connected")
        await server.send(cmd="flood", n=n)
        result = await asyncio.wait_for(client.line("counted"), 300)
        return n / (float(result["ms"]) / 1000.0)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        await server.line("disconnect")


async def _ours_v3(n: int) -> float:
    """events per second of SocketClient (API 3.0) against the ws flood server."""
    proc = await asyncio.create_subprocess_exec(
        "node", str(NODE_DIR / "ws_flood_server.js"), KEY, cwd=str(NODE_DIR),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    server = _Server(proc)
    done = asyncio.Event()
    count, first = 0, 0.0

    async def on_event(_: PbxEvent) -> None:
        nonlocal count, first
        if count == 0:
            first = time.perf_counter()
        count += 1
        if count == n:
            done.set()

    port = (await server.line("listening"))["port"]
    client = SocketClient(f"ws://127.0.0.1:{port}", KEY, on_event=on_event, command_timeout=30.0,
                          max_frame=1 << 20)
    task = asyncio.create_task(client.run())
    try:
        await client.wait_connected(10)
        await server.send(cmd="flood", n=n)
        await asyncio.wait_for(done.wait(), 300)
        return n / (time.perf_counter() - first)
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)
        proc.kill()
        await proc.wait()


async def run(n: int = N) -> dict[str, Any]:
    """events/s of our client and of Node's, and their ratio (>= 1.0: we keep up with Node)."""
    logging.getLogger("adapters.pbx").setLevel(logging.ERROR)
    if shutil.which("node") is None or not (NODE_DIR / "node_modules" / "socket.io-client").exists():
        return {"ingest_note": "Node or tests/node/node_modules missing: nothing measured (run `make node`)"}
    server, url = await _start_server()
    try:
        theirs = await _theirs(server, url, n)
        ours, _ = await _ours(server, url, n)
        await server.line("disconnect")
        drain, drain_cpu = await _ours(server, url, n, backlog=True)
    finally:
        server.proc.kill()
        await server.proc.wait()
    v3 = await _ours_v3(n) if (NODE_DIR / "node_modules" / "ws").exists() else 0.0
    return {
        "ingest_v3_events_per_s": v3,
        "ingest_v3_ratio_vs_v2": v3 / ours,
        "ingest_events_per_s": ours,
        "ingest_events_per_s_node_client": theirs,
        "ingest_ratio_vs_node_client": ours / theirs,
        "ingest_events_per_s_from_backlog": drain,
        "ingest_events_per_cpu_s_from_backlog": drain_cpu,
    }
