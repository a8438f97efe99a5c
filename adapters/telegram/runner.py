"""TelegramAdapter: owns the Bot, the sender and the dispatcher; polls or serves a webhook.

Strategy: ``start()`` publishes the command menus, then runs long polling (supervised: restarted
with backoff after any failure, counted and shown on /healthz as the ``telegram`` task) or an
aiohttp webhook server that checks the secret-token header; ``stop()`` undoes both within a few
seconds. Nothing here decides anything: handlers ask the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import AiogramError
from aiogram.utils.token import TokenValidationError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from adapters.telegram.errors import redact
from adapters.telegram.handlers import Handlers
from adapters.telegram.menu import publish_menus
from adapters.telegram.redaction import protect_logs
from adapters.telegram.sender import TelegramSender
from adapters.telegram.session import PinnedSession
from bot.config import Settings
from bot.errors import ConfigError, DeliveryError
from bot.ports import ChatCore
from bot.supervise import Supervisor

logger = logging.getLogger(__name__)


def _make_bot(settings: Settings) -> Bot:
    token = settings.telegram_bot_token.get_secret_value()
    if not token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    url = settings.telegram_api_url.strip()
    session = PinnedSession(api=TelegramAPIServer.from_base(url)) if url else PinnedSession()
    try:
        return Bot(token, session=session)
    except TokenValidationError:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not a valid bot token") from None


class _Redacted(Exception):
    """A polling failure as text with the token taken out (what the task's health records)."""


class TelegramAdapter:
    """The Telegram side of the bot: ``TelegramAdapter(settings, core)``, then ``start()``."""

    def __init__(
        self,
        settings: Settings,
        core: ChatCore,
        *,
        polling_timeout: int = 25,
        webhook_host: str = "0.0.0.0",  # noqa: S104 - Telegram must reach the webhook
        rate: float = 30.0,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.settings = settings
        self.core = core
        self.bot = _make_bot(settings)
        protect_logs(self.bot.token)
        self.sender = TelegramSender(self.bot, rate=rate)
        self.dispatcher = Dispatcher()
        self.handlers = Handlers(core, self.sender)
        self.dispatcher.include_router(self.handlers.router)
        self.health = (supervisor or Supervisor()).watch("telegram")
        self.polling_timeout = polling_timeout
        self.webhook_url = settings.telegram_webhook_url.strip()
        self.webhook_host = webhook_host
        self.webhook_secret = (
            settings.telegram_webhook_secret.get_secret_value() or secrets.token_urlsafe(32)
        )
        self.webhook_port: int | None = None  # the bound port once the webhook server runs
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._web: web.AppRunner | None = None

    async def start(self) -> None:
        """Publish the menus, then poll (default) or serve the webhook, in the background."""
        await publish_menus(self.bot, self.core, self.settings.bot_language)
        if self.webhook_url:
            await self._start_webhook()
        else:
            self._poller = asyncio.create_task(self._poll(), name="telegram polling")

    async def _poll(self) -> None:
        """Poll until stopped; any failure is the ``telegram`` task's (logged, counted, backed
        off and polled again; the token is redacted from every line)."""
        while not self._stopping.is_set():
            try:
                await self._delete_webhook()
                if self._stopping.is_set():
                    return
                await self.dispatcher.start_polling(
                    self.bot,
                    polling_timeout=self.polling_timeout,
                    handle_signals=False,
                    close_bot_session=False,
                )
                return
            except Exception as exc:
                text = redact(f"Telegram polling failed: {type(exc).__name__}: {exc}", self.bot.token)
                delay = self.health.failed(_Redacted(text).with_traceback(exc.__traceback__))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                self.health.rerun()

    async def _delete_webhook(self) -> None:
        """Polling and a webhook exclude each other; drop a webhook left from an earlier run."""
        try:
            await self.bot.delete_webhook()
        except (AiogramError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"deleteWebhook failed: {type(exc).__name__}") from None

    async def _start_webhook(self) -> None:
        app = web.Application()
        handler = SimpleRequestHandler(
            dispatcher=self.dispatcher, bot=self.bot, secret_token=self.webhook_secret
        )
        handler.register(app, path=urlparse(self.webhook_url).path or "/")
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        site = web.TCPSite(self._web, self.webhook_host, self.settings.telegram_webhook_port)
        await site.start()
        self.webhook_port = self._web.addresses[0][1]
        logger.info("Telegram webhook server listening on port %d", self.webhook_port)
        try:
            await self.bot.set_webhook(
                self.webhook_url,
                secret_token=self.webhook_secret,
                allowed_updates=self.dispatcher.resolve_used_update_types(),
            )
        except (AiogramError, OSError, TimeoutError) as exc:
            logger.error("setWebhook failed: %s", redact(str(exc), self.bot.token))

    async def stop(self) -> None:
        """Stop polling or the webhook server and close the HTTP session (a few seconds)."""
        self._stopping.set()
        if self._poller is not None:
            await self._stop_polling(self._poller)
            self._poller = None
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        await self.bot.session.close()

    async def _stop_polling(self, poller: asyncio.Task[None]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5.0
        while not poller.done() and loop.time() < deadline:
            with contextlib.suppress(RuntimeError):  # not polling yet: try again shortly
                await asyncio.wait_for(self.dispatcher.stop_polling(), 5.0)
            await asyncio.wait({poller}, timeout=0.05)
        if not poller.done():
            logger.warning("Telegram polling did not stop in time; cancelling it")
            poller.cancel()
            await asyncio.wait({poller}, timeout=1.0)

    async def check(self) -> str:
        """getMe, for ``doctor``: "@name (id N)"; raises DeliveryError (no token in it)."""
        name, bot_id = await self.identity()
        return f"@{name} (id {bot_id})"

    async def identity(self) -> tuple[str, int]:
        """getMe: the bot's username (for ``t.me`` links) and id; DeliveryError on failure."""
        try:
            me = await self.bot.get_me()
        except (AiogramError, OSError, TimeoutError) as exc:
            text = redact(f"{type(exc).__name__}: {exc}", self.bot.token)
            raise DeliveryError(f"Telegram getMe failed: {text}") from None
        return me.username or "", me.id
