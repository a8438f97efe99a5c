"""Names for mentions: an ``app_mention`` carries only a user id, so ``users.info`` fills in the
handle (cached), keeping the core's person records as complete as slash commands make them."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.sender import SDK_FAILURES

logger = logging.getLogger(__name__)


class UserNames:
    """``name_of(user_id)`` -> the Slack handle (``users.info`` ``user.name``), "" if unknown."""

    def __init__(self, client: AsyncWebClient, limit: int = 1000) -> None:
        self._client = client
        self._limit = limit
        self._cache: dict[str, str] = {}

    async def name_of(self, user_id: str) -> str:
        if user_id in self._cache:
            return self._cache[user_id]
        try:
            resp = await self._client.users_info(user=user_id)
        except SDK_FAILURES as exc:
            logger.warning("slack: users.info for %s failed: %s", user_id, type(exc).__name__)
            return ""
        user = resp.get("user")
        name = str(user.get("name") or "") if isinstance(user, dict) else ""
        if len(self._cache) >= self._limit:
            self._cache.pop(next(iter(self._cache)))
        self._cache[user_id] = name
        return name
