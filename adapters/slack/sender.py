"""``SlackSender``: the core's ``ChatSender`` over ``chat.postMessage`` / ``chat.update``.

Short rate-limit waits, 5xx and dropped connections are retried inside slack_sdk (small retry
handlers); whatever still fails becomes one of the core's delivery errors, never a SlackApiError.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from bot.domain import ChatRef, OutMessage
from bot.errors import ChatGone, ConfigError, DeliveryError, MessageGone, RetryAfter
from bot.ports import PacingLimits

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
MAX_SDK_WAIT_S = 5.0  # Retry-After up to this is slept inside the SDK; longer goes to the outbox
GONE_CHAT = frozenset({"channel_not_found", "not_in_channel", "is_archived", "account_inactive"})
GONE_MESSAGE = frozenset({"message_not_found", "cant_update_message"})


def validate_api_url(url: str) -> str:
    """``SLACK_API_URL`` (or the default): an http(s) URL ending in ``/api/``."""
    url = url.strip() or DEFAULT_API_URL
    if not url.startswith(("https://", "http://")) or not url.endswith("/api/"):
        raise ConfigError("SLACK_API_URL must be an http(s) URL ending in /api/, e.g. https://slack.com/api/")
    return url


def retry_after_seconds(headers: Any) -> float | None:
    """The ``Retry-After`` header (any case; raw or list-valued), in seconds."""
    for key in list(headers or {}):
        if str(key).lower() == "retry-after":
            value = headers[key]
            value = value[0] if isinstance(value, list) and value else value
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


class ShortRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 inside the SDK only when ``Retry-After`` is short (<= ``max_wait_s``)."""

    def __init__(self, max_retry_count: int = 1, max_wait_s: float = MAX_SDK_WAIT_S) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait_s = max_wait_s

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response.headers)
        return wait is not None and wait <= self.max_wait_s


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        AsyncServerErrorRetryHandler(max_retry_count=1),
        ShortRateLimitRetryHandler(max_retry_count=1),
    ]


def build_web_client(token: str, api_url: str = "", timeout: int = 15) -> AsyncWebClient:
    """The Web API client every Slack call goes through (Bolt's too)."""
    return AsyncWebClient(
        token=token, base_url=validate_api_url(api_url), timeout=timeout, retry_handlers=retry_handlers()
    )


def translate(exc: Exception, what: str) -> DeliveryError:
    """Map an SDK/network failure to the core's delivery errors (no token, no payload)."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 0)
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        code = str(data.get("error") or f"HTTP {status}")
        if status == 429 or code == "ratelimited":
            return RetryAfter(retry_after_seconds(exc.response.headers) or 1.0)
        if code in GONE_CHAT:
            return ChatGone(f"slack {what}: {code}")
        if code in GONE_MESSAGE:
            return MessageGone(f"slack {what}: {code}")
        return DeliveryError(f"slack {what}: {code}")
    return DeliveryError(f"slack {what}: {type(exc).__name__}")


SDK_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError, ValueError)
"""What a Web API call may raise: SDK errors, network errors, timeouts, unreadable answers."""


class SlackSender:
    """Posts and edits rendered messages in Slack channels and DMs (``ChatRef.chat_id``)."""

    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    def limits_for(self, chat: ChatRef) -> PacingLimits:
        return PacingLimits(min_interval_s=1.0, per_minute=None)

    async def send(self, chat: ChatRef, message: OutMessage) -> str:
        if message.photo is not None:
            return await self._upload(chat, message, message.photo)
        text, body = blocks.render(message)
        try:
            resp = await self.client.chat_postMessage(
                channel=chat.chat_id, text=text, blocks=body, unfurl_links=False, unfurl_media=False
            )
        except SDK_FAILURES as exc:
            raise translate(exc, "chat.postMessage") from None
        ts = resp.get("ts")
        if not ts:
            raise DeliveryError("slack chat.postMessage: answer without ts")
        return str(ts)

    async def _upload(self, chat: ChatRef, message: OutMessage, photo: bytes) -> str:
        """A file upload in the channel (``files_upload_v2``: get an upload URL, POST the bytes,
        complete the upload with the text as its comment); returns the file id."""
        text, _ = blocks.render(OutMessage(message.spans))
        try:
            resp = await self.client.files_upload_v2(
                channel=chat.chat_id, content=photo, filename="report.png", title="report.png",
                initial_comment=text,
            )
        except SDK_FAILURES as exc:
            raise translate(exc, "files.upload") from None
        file = resp.get("file") or {}
        return str(file.get("id") or "file") if isinstance(file, dict) else "file"

    async def edit(self, chat: ChatRef, message_id: str, message: OutMessage) -> None:
        text, body = blocks.render(message)
        try:
            await self.client.chat_update(channel=chat.chat_id, ts=message_id, text=text, blocks=body)
        except SDK_FAILURES as exc:
            raise translate(exc, "chat.update") from None
