"""The console chat adapter used by ``onpbx-bot demo`` (and handy in tests).

Strategy: one chat (``console:demo``) and one user typing commands. Outgoing messages print as
plain text with numbered buttons; ``/press N`` presses button N, exactly like a tap in Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.domain import Button, ChatAction, ChatCommand, ChatRef, OutMessage, UserRef
from bot.i18n import register, t
from bot.ports import ChatCore, PacingLimits

logger = logging.getLogger(__name__)

CHAT = ChatRef("console", "demo")
USER = UserRef("console", "operator", display="Console operator", username="operator")

register(
    {
        "console.not_command": ("(commands start with /, try /help)",
                                "(команды начинаются с /, попробуйте /help)"),
        "console.no_button": ("(no button {number} here: /press takes a number shown next to a button)",
                              "(кнопки {number} нет: после /press укажите номер, показанный у кнопки)"),
    }
)


async def lines_of(stream: TextIO) -> AsyncIterator[str]:
    """The lines of ``stream`` as typed, read on a daemon thread: a process stopping on a signal
    never waits for a line nobody types."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def pump() -> None:
        try:
            for line in iter(stream.readline, ""):
                loop.call_soon_threadsafe(queue.put_nowait, line)
        except (OSError, ValueError) as exc:  # a closed stream ends the typing like EOF
            logger.debug("console input ended: %s", exc)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
                loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=pump, name="console input", daemon=True).start()
    while line := await queue.get():
        yield line


def parse_command(line: str) -> tuple[str, tuple[str, ...], str] | None:
    """``/call 201`` -> ("call", ("201",), "201"); None when the line is not a command."""
    line = line.strip()
    if not line.startswith("/") or len(line) < 2:
        return None
    head, _, rest = line[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return (name, tuple(rest.split()), rest.strip()) if name else None


class ConsoleChat:
    """A ChatSender (platform "console") plus a line-driven command source."""

    platform = "console"

    def __init__(
        self, core: ChatCore | None = None, out: TextIO | None = None, photo_dir: str | None = None
    ) -> None:
        self.core = core
        self.out = out or sys.stdout
        self.photo_dir = photo_dir  # where photos are written (None: a temporary directory)
        self.photos: list[str] = []
        self.buttons: dict[int, Button] = {}
        self._ids = itertools.count(1)
        self._button_numbers = itertools.count(1)
        self.sent: list[OutMessage] = []

    # --- ChatSender -------------------------------------------------------------------------
    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return PacingLimits(min_interval_s=0.0)

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        message_id = str(next(self._ids))
        self._print(f"[bot -> {chat.chat_id} #{message_id}]", message)
        if message.photo is not None:
            path = self._write_photo(message_id, message.photo)
            print(f"  [chart: {path}]", file=self.out, flush=True)
        return message_id

    def _write_photo(self, message_id: str, photo: bytes) -> str:
        folder = Path(self.photo_dir or tempfile.mkdtemp(prefix="onpbx-bot-"))
        self.photo_dir = str(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"report-{message_id}.png"
        path.write_bytes(photo)
        self.photos.append(str(path))
        return str(path)

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        self._print(f"[bot edits #{message_id}]", message)

    def _print(self, header: str, message: OutMessage) -> None:
        self.sent.append(message)
        lines = [header, *("  " + line for line in message.text.splitlines())]
        for row in message.buttons:
            labels = []
            for button in row:
                number = next(self._button_numbers)
                self.buttons[number] = button
                labels.append(f"[{button.label}: /press {number}]")
            lines.append("  " + "  ".join(labels))
        print("\n".join(lines), file=self.out, flush=True)

    # --- input ------------------------------------------------------------------------------
    async def handle_line(self, line: str) -> None:
        """Run one typed line; prints the replies."""
        if self.core is None:
            return
        parsed = parse_command(line)
        if parsed is None:
            if line.strip():
                hint = t(await self.core.language(CHAT), "console.not_command")
                print("  " + hint, file=self.out, flush=True)
            return
        name, args, text = parsed
        if name == "press":
            await self._press(args)
            return
        cmd = ChatCommand(CHAT, USER, name, args, text, chat_title="Console", is_private=True)
        for reply in await self.core.handle_command(cmd):
            await self.send(CHAT, reply)

    async def _press(self, args: Sequence[str]) -> None:
        assert self.core is not None
        button = self.buttons.get(int(args[0])) if args and args[0].isdigit() else None
        if button is None:
            number = args[0][:8] if args else ""
            text = t(await self.core.language(CHAT), "console.no_button", number=number)
            print("  " + text, file=self.out, flush=True)
            return
        reply = await self.core.handle_action(ChatAction(CHAT, USER, button.action, button.arg))
        print(f"  ({reply.toast})", file=self.out, flush=True)
        for message in (*reply.messages, *((reply.edit,) if reply.edit else ())):
            await self.send(CHAT, message)

    async def interactive(self, stream: TextIO | None = None) -> None:
        """Read commands from a terminal until EOF."""
        async for line in lines_of(stream or sys.stdin):
            try:
                await self.handle_line(line)
            except Exception:
                logger.exception("console command %r failed", line.strip()[:80])

    async def scripted(self, script: Sequence[tuple[float, str]]) -> None:
        """Play ``(delay_s, line)`` pairs, echoing each line as if typed."""
        for delay, line in script:
            await asyncio.sleep(delay)
            print(f"> {line}", file=self.out, flush=True)
            await self.handle_line(line)
