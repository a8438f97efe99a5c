"""A one-shot check of a 3.0 endpoint for ``onpbx-bot doctor``: open, subscribe, read the answer.

Strategy: the same socket opening and refusal rules as the client, without its loop: an
answered ``subscribe`` is a working key, any of the three refusals is AuthenticationError.
"""

from __future__ import annotations

import aiohttp

from adapters.pbx.v2.transport import redact
from adapters.pbx.v3 import wire
from adapters.pbx.v3.link import open_link, ws_url
from bot.errors import AuthenticationError, HandshakeError, ProtocolError


async def check(url: str, key: str, *, within: float = 10.0) -> str:
    """``"URL: subscribe answered"`` or a PbxError saying what failed (never the key)."""
    where = redact(ws_url(url, key))
    async with aiohttp.ClientSession() as session:
        link = await open_link(session, url, key, ping_interval=within, dead_after=within, max_frame=1 << 20)
        try:
            await link.send(wire.encode_command("subscribe", {"eventGroups": ["calls"]}, wire.new_req_id()))
            msg = await link.ws.receive(timeout=within)
        except TimeoutError:
            raise HandshakeError(f"{where}: no answer to subscribe in {within:g} s") from None
        finally:
            await link.ws.close()
    if msg.type is aiohttp.WSMsgType.CLOSE:
        if wire.refused_by_close(msg.data, str(msg.extra or "")):
            raise AuthenticationError(f"{where}: the PBX refused the API key (close code {msg.data})")
        raise HandshakeError(f"{where}: the server closed the WebSocket (code {msg.data})")
    try:
        frame = wire.decode(str(msg.data))
    except ProtocolError as exc:
        raise HandshakeError(f"{where}: {exc}") from None
    if wire.refused_key(frame):
        raise AuthenticationError(f"{where}: the PBX refused the API key ({frame.event})")
    return f"{where}: API 3.0, subscribe answered ({frame.event})"
