"""``onpbx-bot doctor``: checks settings, database, PBX handshake, HTTP API login (when
ONPBX_HISTORY=on) and chat tokens; says what is wrong in one line per check (and per settings
problem). Exit 0 when every part ``run`` needs works, 1 otherwise: no chat platform, or a half
configured one, is a failure unless ``--console`` says the bot will chat in the terminal.

Strategy: each check returns (ok, text) and never raises; texts name settings, never secrets.
The database is only looked at, never created.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import aiohttp

from adapters.pbx.v2.transport import handshake
from bot.cli import pbx_choice
from bot.cli.admin import database_missing, database_path
from bot.config import Settings
from bot.configcheck import missing, missing_pbx, platform_problems
from bot.errors import BotError
from bot.logsetup import Redactor

Check = tuple[str, Callable[[], Awaitable[str]]]


def _settings(settings: Settings) -> str:
    groups = [g for g, on in settings.event_groups.items() if on]
    admins = settings.admins
    return f"domain {settings.onpbx_domain}, events {','.join(groups)}, {len(admins)} admin(s) in BOT_ADMINS"


async def _database(settings: Settings) -> str:
    from storage.factory import open_store  # a file (SQLite) or a postgresql:// URL

    where = database_path(settings)
    if database_missing(settings):
        return f"{where} does not exist yet: `onpbx-bot setup` or `onpbx-bot run` creates it (in this folder)"
    store = await open_store(settings.bot_db)
    try:
        chats = await store.list_chats()
        depth = await store.outbox_depth()
    finally:
        await store.close()
    return f"{where}: {len(chats)} chat(s), {depth} alert(s) waiting"


async def pbx_check(settings: Settings, api: str) -> str:
    """One look at the socket of WebSockets API ``api`` ("2" or "3"): the handshake (2.0) or an
    answered ``subscribe`` (3.0); a PbxError (never the key) when it fails."""
    settings.require_pbx()
    url, key = pbx_choice.url_of(settings, api), settings.onpbx_key.get_secret_value()
    if api == "3":
        from adapters.pbx.v3.check import check

        return await check(url, key)
    async with aiohttp.ClientSession() as session:
        answer = await handshake(session, url, settings.onpbx_domain, key)
    return f"{url}: handshake ok (heartbeat timeout {answer.heartbeat_timeout:g} s)"


async def _pbx(settings: Settings) -> str:
    return await pbx_check(settings, "3" if pbx_choice.explicit(settings) == "3" else "2")


async def http_api_check(settings: Settings) -> str:
    """The HTTP API key exchange (``auth.json``), as the call history will do it."""
    from adapters.pbx.http import HttpPbx

    settings.require_pbx()
    client = HttpPbx(settings.onpbx_http_url, settings.onpbx_domain, settings.onpbx_key.get_secret_value(),
                     timeout=settings.onpbx_command_timeout, attempts=2)
    try:
        await client.login()
    finally:
        await client.close()
    return f"{settings.onpbx_http_url}: HTTP API login ok (call history on)"


async def _adapter_check(adapter: Any) -> str:
    try:
        return str(await adapter.check())
    finally:
        await adapter.stop()


def _checks(settings: Settings) -> list[Check]:
    from bot.ports import ChatCore

    core: ChatCore = NoCore()
    checks: list[Check] = [("database", lambda: _database(settings))]
    if not missing_pbx(settings):  # what is missing was said once, among the settings
        checks.append(("pbx", lambda: _pbx(settings)))
        if settings.onpbx_history == "on":
            checks.append(("http-api", lambda: http_api_check(settings)))
    if settings.telegram_bot_token.get_secret_value():
        from adapters.telegram import TelegramAdapter

        checks.append(("telegram", lambda: _adapter_check(TelegramAdapter(settings, core))))
    if settings.slack_bot_token.get_secret_value() and not platform_problems(settings, console=True):
        from adapters.slack import SlackAdapter

        checks.append(("slack", lambda: _adapter_check(SlackAdapter(settings, core))))
    return checks


class NoCore:
    """Doctor builds adapters only to check their tokens; nothing reaches the core."""

    async def handle_command(self, cmd: Any) -> list[Any]:
        return []

    async def handle_action(self, action: Any) -> Any:
        raise BotError("doctor does not handle actions")

    async def handle_migration(self, old: Any, new: Any) -> None:
        return None

    def menu(self, language: str) -> list[tuple[str, str]]:
        return []

    async def language(self, chat: Any) -> str:
        return "en"


def _show(out: TextIO, ok: bool, name: str, text: str, redact: Redactor) -> None:
    text = redact(text)  # every encoding of every secret (URLs quote them)
    print(f"{'ok  ' if ok else 'FAIL'} {name:9} {text}", file=out, flush=True)


async def run_doctor(
    settings: Settings, out: TextIO | None = None, *, problems: list[str] | None = None, console: bool = False
) -> int:
    """Print one line per check; ``problems``: bad values found while reading the settings."""
    out = out or sys.stdout
    redact = Redactor(settings.secrets())
    wrong = [*(problems or []), *missing(settings, console=console, said=problems)]
    for problem in wrong:
        _show(out, False, "settings", problem, redact)
    if not wrong:
        _show(out, True, "settings", _settings(settings), redact)
    failed = len(wrong)
    for name, check in _checks(settings):
        try:
            ok, text = True, await check()
        except BotError as exc:
            ok, text = False, str(exc)
        except Exception as exc:  # a check must report, never crash the doctor
            ok, text = False, f"{type(exc).__name__}: {exc}"
        failed += not ok
        _show(out, ok, name, text, redact)
    return 1 if failed else 0
