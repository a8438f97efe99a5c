"""Which onlinePBX WebSockets API to speak, and where: 2.0 (Socket.IO 0.9) or 3.0 (plain JSON).

Order of authority: ``ONPBX_API=2|3``; else ``ONPBX_URL``'s scheme (ws/wss -> 3.0, http/https ->
2.0); else what worked last time (the ``onpbx_api`` setting in the store); else a probe: 3.0 at
``wss://DOMAIN:3342``, then 2.0 at ``https://DOMAIN:8093``. The probe's answer is remembered and
logged; when neither answers, 3.0 is used for this run and nothing is remembered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.config import Settings
from bot.events import PbxEvent
from bot.ports import Store

logger = logging.getLogger(__name__)
SETTING_KEY = "onpbx_api"
V3_PORT, V2_PORT = 3342, 8093
PROBE_S = 8.0
APIS = ("3", "2")


class Link(Protocol):
    """What a probe needs of a PBX client."""

    async def run(self) -> None: ...
    async def close(self) -> None: ...
    async def wait_connected(self, timeout: float) -> bool: ...  # noqa: ASYNC109


def explicit(settings: Settings) -> str | None:
    """"2" or "3" when the settings alone decide (``ONPBX_API``, or ``ONPBX_URL``'s scheme)."""
    if settings.onpbx_api != "auto":
        return settings.onpbx_api
    scheme = settings.onpbx_url.partition("://")[0].lower() if settings.onpbx_url else ""
    return {"ws": "3", "wss": "3", "http": "2", "https": "2"}.get(scheme)


def url_of(settings: Settings, api: str) -> str:
    """``ONPBX_URL`` if set, else the API's default address on ``ONPBX_DOMAIN``."""
    if settings.onpbx_url:
        return settings.onpbx_url.rstrip("/")
    if api == "3":
        return f"wss://{settings.onpbx_domain}:{V3_PORT}"
    return f"https://{settings.onpbx_domain}:{V2_PORT}"


async def probe(link: Link, within: float = PROBE_S) -> bool:
    """True when ``link`` connects (and, on 3.0, is subscribed) within ``within`` seconds."""
    task = asyncio.create_task(link.run())
    try:
        return await link.wait_connected(within)
    finally:
        await link.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 3.0)


async def choose(
    settings: Settings, store: Store, make_link: Callable[[str], Link],
    probe_one: Callable[[Link], Awaitable[bool]] = probe,
) -> str:
    """The API to use ("2" or "3"); see the module docstring for the order."""
    decided = explicit(settings)
    if decided is not None:
        return decided
    remembered = await store.get_setting(SETTING_KEY)
    if remembered in APIS:
        logger.info("PBX API %s.0 (it worked before; set ONPBX_API to change)", remembered)
        return remembered
    for api in APIS:
        if await probe_one(make_link(api)):
            await store.set_setting(SETTING_KEY, api)
            logger.info("PBX API %s.0 answered at %s; remembered", api, url_of(settings, api))
            return api
        logger.info("PBX API %s.0 did not answer at %s", api, url_of(settings, api))
    logger.warning("neither PBX API answered; using 3.0 for now and probing again at the next start")
    return "3"


async def ignore_event(event: PbxEvent) -> None:
    """The ``on_event`` of a probe: events seen while probing are not tracked."""
