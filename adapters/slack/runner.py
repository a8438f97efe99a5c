"""``SlackAdapter``: builds the Web API client, the Bolt app and one transport, and runs it.

Socket Mode (``SLACK_APP_TOKEN``) is preferred; otherwise HTTP mode serves ``/slack/events`` on
``SLACK_HTTP_PORT`` with Bolt's signature check. Nothing here logs a token or the signing secret.
Connecting Socket Mode is the supervised ``slack`` task: a failed connect is logged, counted, backed
off and tried again (once connected, slack_sdk keeps the link and reconnects it itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from adapters.slack.handlers import SlackHandlers
from adapters.slack.linklog import LinkLog, quiet_bolt
from adapters.slack.people import UserNames
from adapters.slack.sender import SDK_FAILURES, SlackSender, build_web_client, translate
from bot.config import Settings
from bot.errors import ConfigError
from bot.ports import ChatCore
from bot.supervise import Supervisor

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
SOCKET_RETRY_S = 10.0  # the SDK's wait between Socket Mode connects (and its ping interval)


class SlackAdapter:
    """The Slack side of the bot: ``sender`` for the outbox, ``start``/``stop``, ``check``."""

    def __init__(
        self, settings: Settings, core: ChatCore, *, host: str = "0.0.0.0",  # noqa: S104
        supervisor: Supervisor | None = None,
    ) -> None:
        token = settings.slack_bot_token.get_secret_value()
        if not token:
            raise ConfigError("SLACK_BOT_TOKEN is not set")
        self._app_token = settings.slack_app_token.get_secret_value()
        secret = settings.slack_signing_secret.get_secret_value()
        if not self._app_token and not (secret and settings.slack_http_port is not None):
            raise ConfigError(
                "Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET and SLACK_HTTP_PORT"
            )
        self.mode = "socket" if self._app_token else "http"
        self.client = build_web_client(token, settings.slack_api_url)
        self.sender = SlackSender(self.client)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=self.mode == "http",
            logger=quiet_bolt(logging.getLogger("slack_bolt")),
            name="onpbx-bot",
        )
        SlackHandlers(core, self.sender, UserNames(self.client), settings.bot_language).register(self.app)
        self._host, self._port = host, settings.slack_http_port or 0
        self._socket: AsyncSocketModeHandler | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self.http_port: int | None = None  # the bound port in HTTP mode (useful with port 0)
        self._supervisor = supervisor or Supervisor()

    def web_app(self) -> web.Application:
        """The aiohttp application serving ``POST /slack/events`` (HTTP mode)."""

        async def events(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await self.app.async_dispatch(await to_bolt_request(request)))

        application = web.Application()
        application.router.add_post(EVENTS_PATH, events)
        return application

    async def start(self) -> None:
        """Connect Socket Mode (in the background, retrying) or start the HTTP listener."""
        if self.mode == "socket":
            log = LinkLog(logging.getLogger("slack_bolt"), SOCKET_RETRY_S)
            socket = self._socket = AsyncSocketModeHandler(
                self.app, self._app_token, web_client=self.client,
                logger=log, ping_interval=SOCKET_RETRY_S)  # type: ignore[arg-type]

            async def connect() -> None:
                await socket.connect_async()  # type: ignore[no-untyped-call]

            self._connect_task = self._supervisor.spawn("slack", connect)
            logger.info("slack: Socket Mode starting")
            return
        self._runner = web.AppRunner(self.web_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        addresses = self._runner.addresses
        self.http_port = int(addresses[0][1]) if addresses else self._port
        logger.info("slack: HTTP mode listening on port %s%s", self.http_port, EVENTS_PATH)

    async def stop(self) -> None:
        """Close the Socket Mode link or the HTTP listener, then the Web API session."""
        if self._connect_task is not None:
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connect_task
            self._connect_task = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        logger.info("slack: stopped")

    async def check(self) -> str:
        """``auth.test`` for ``doctor``: "bot @name in team T"; DeliveryError (no secrets) on failure."""
        try:
            resp = await self.client.auth_test()
        except SDK_FAILURES as exc:
            raise translate(exc, "auth.test") from None
        return f"bot @{resp.get('user', '?')} ({resp.get('user_id', '?')}) in {resp.get('team', '?')}"

    async def check_app_token(self) -> str:
        """Socket Mode's token (``apps.connections.open``, no connection made), for ``setup``."""
        if self.mode != "socket":
            return "HTTP mode: no app-level token"
        try:
            await self.client.apps_connections_open(app_token=self._app_token)
        except SDK_FAILURES as exc:
            raise translate(exc, "apps.connections.open") from None
        return "app-level token ok (Socket Mode)"
