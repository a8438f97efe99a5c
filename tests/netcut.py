"""A loopback TCP forwarder a test can cut: a process "loses the database" without anything
being killed, the way a machine does when its network goes.

Strategy: every accepted connection is piped to the target both ways. ``cut()`` makes the link
silent (bytes both ways are swallowed and new connections hang), as a partition does, so only
the client's own timeouts notice; ``restore()`` closes the silent connections (as when the
network comes back and the peers find their sessions gone) and forwards again.
"""

from __future__ import annotations

import asyncio
import contextlib


class CutProxy:
    """``127.0.0.1:port`` forwards to ``target_port``; ``url(dsn)`` points a DSN through it."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.silent = False
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> CutProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        self._close_all()  # every handler then reads EOF and ends
        await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def url(self, dsn: str) -> str:
        return dsn.replace(f":{self.target_port}/", f":{self.port}/")

    def cut(self) -> None:
        self.silent = True

    def restore(self) -> None:
        self._close_all()
        self.silent = False

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
        self._writers.add(writer)
        if self.silent:
            await _swallow(reader)
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.add(up_writer)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if not self.silent:
                    writer.write(data)
                    await writer.drain()
        writer.close()


async def _swallow(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while await reader.read(65536):
            pass
