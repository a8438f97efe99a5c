"""``onpbx-bot run [--console]``: the bot until SIGTERM/SIGINT.

Strategy: open the store, build the :class:`~bot.cli.app.Application`, start it while watching
for a signal (a signal during start-up, e.g. while the API probe waits for an unreachable PBX,
cancels the start at once), then wait for the signal and stop. ``--console`` adds a chat in
this terminal whose user is an admin: commands typed on stdin, alerts printed on stdout; on a
terminal Ctrl-D quits, without one the end of stdin only ends the typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from adapters.console.adapter import ConsoleChat

logger = logging.getLogger(__name__)


async def run_until_signal(main: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    """Run ``main(stop)``; SIGINT and SIGTERM set ``stop``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return await main(stop)


async def start_unless_stopped(start: Awaitable[None], stop: asyncio.Event) -> bool:
    """Run ``start`` to its end, or cancel it the moment ``stop`` is set; True when it finished.
    A failing start raises, as it would have without the race."""
    starting = asyncio.ensure_future(start)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if starting.done():
        starting.result()
        return True
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await starting
    logger.info("stopped during start-up")
    return False


def with_console_admin(settings: Settings) -> Settings:
    """The person at the terminal runs the process and owns its database: an admin."""
    from adapters.console.adapter import USER

    admins = ",".join(filter(None, [settings.bot_admins, f"{USER.platform}:{USER.user_id}"]))
    return settings.model_copy(update={"bot_admins": admins})


async def _type_in(console: ConsoleChat, stop: asyncio.Event) -> None:
    """Commands from stdin; Ctrl-D on a terminal stops the bot."""
    tty = sys.stdin is not None and sys.stdin.isatty()
    print("onpbx-bot: console chat, you are an admin: type /help, /bind EXT for its alerts"
          + ("; Ctrl-D quits." if tty else "."), flush=True)
    await console.interactive()
    if tty:
        stop.set()


async def cmd_run(settings: Settings, *, console: bool = False) -> int:
    """The bot until a signal; 0 on a clean stop."""
    from bot.cli.admin import open_store
    from bot.cli.app import Application

    if console:
        settings = with_console_admin(settings)
    store = await open_store(settings, create=True)
    app = Application(settings, store)
    chat = None
    if console:
        from adapters.console.adapter import ConsoleChat

        chat = ConsoleChat(app.core)
        app.add_sender(chat)

    async def main(stop: asyncio.Event) -> int:
        typing: asyncio.Task[None] | None = None
        try:
            if await start_unless_stopped(app.start(), stop):  # what started is stopped below
                if chat is not None:
                    typing = asyncio.create_task(_type_in(chat, stop), name="console")
                await stop.wait()
        finally:
            if typing is not None:
                typing.cancel()
            await app.stop()
            await store.close()
        return 0

    return await run_until_signal(main)
