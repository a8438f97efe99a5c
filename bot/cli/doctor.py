"""``onpbx-bot doctor``: checks settings, database, PBX handshake, HTTP API login (when
ONPBX_HISTORY=on) and chat tokens; says what is wrong in one line per check. Exit 0 when every
configured part works, 1 otherwise.

Strategy: each check returns (ok, text) and never raises; texts name settings, never values.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

import aiohttp

from adapters.pbx.v2.transport import handshake
from bot.cli import pbx_choice
from bot.config import Settings
from bot.dsn import redact_dsn
from bot.errors import BotError
from bot.logsetup import Redactor

Check = tuple[str, Callable[[], Awaitable[str]]]


async def _settings(settings: Settings) -> str:
    settings.require_pbx()
    groups = [g for g, on in settings.event_groups.items() if on]
    admins = settings.admins
    return f"domain {settings.onpbx_domain}, events {','.join(groups)}, {len(admins)} admin(s) in BOT_ADMINS"


async def _database(settings: Settings) -> str:
    from storage.factory import open_store  # a file (SQLite) or a postgresql:// URL

    store = await open_store(settings.bot_db)
    try:
        chats = await store.list_chats()
        depth = await store.outbox_depth()
    finally:
        await store.close()
    return f"{redact_dsn(settings.bot_db)}: {len(chats)} chat(s), {depth} alert(s) waiting"


async def _pbx(settings: Settings) -> str:
    settings.require_pbx()
    if pbx_choice.explicit(settings) == "3":
        from adapters.pbx.v3.check import check

        return await check(pbx_choice.url_of(settings, "3"), settings.onpbx_key.get_secret_value())
    async with aiohttp.ClientSession() as session:
        answer = await handshake(
            session, settings.pbx_base_url, settings.onpbx_domain, settings.onpbx_key.get_secret_value()
        )
    return f"{settings.pbx_base_url}: handshake ok (heartbeat timeout {answer.heartbeat_timeout:g} s)"


async def _http_api(settings: Settings) -> str:
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

    core: ChatCore = _NoCore()
    checks: list[Check] = [
        ("settings", lambda: _settings(settings)),
        ("database", lambda: _database(settings)),
        ("pbx", lambda: _pbx(settings)),
    ]
    if settings.onpbx_history == "on":
        checks.append(("http-api", lambda: _http_api(settings)))
    if settings.telegram_bot_token.get_secret_value():
        from adapters.telegram import TelegramAdapter

        checks.append(("telegram", lambda: _adapter_check(TelegramAdapter(settings, core))))
    if settings.slack_bot_token.get_secret_value():
        from adapters.slack import SlackAdapter

        checks.append(("slack", lambda: _adapter_check(SlackAdapter(settings, core))))
    return checks


class _NoCore:
    """Doctor builds adapters only to check their tokens; nothing reaches the core."""

    async def handle_command(self, cmd: Any) -> list[Any]:
        return []

    async def handle_action(self, action: Any) -> Any:
        raise BotError("doctor does not handle actions")

    async def handle_migration(self, old: Any, new: Any) -> None:
        return None

    def menu(self, language: str) -> list[tuple[str, str]]:
        return []


async def run_doctor(settings: Settings, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    redact = Redactor(settings.secrets())  # every encoding of every secret (URLs quote them)
    failed = 0
    for name, check in _checks(settings):
        try:
            ok, text = True, await check()
        except BotError as exc:
            ok, text = False, str(exc)
        except Exception as exc:  # a check must report, never crash the doctor
            ok, text = False, f"{type(exc).__name__}: {exc}"
        text = redact(text)
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name:9} {text}", file=out, flush=True)
    if not settings.telegram_bot_token.get_secret_value() and not settings.slack_bot_token.get_secret_value():
        print("note      no chat platform configured (TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN)", file=out)
    return 1 if failed else 0
