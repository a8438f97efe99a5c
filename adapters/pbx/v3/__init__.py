"""The onlinePBX WebSockets API 3.0: plain RFC 6455 WebSocket, one JSON object per text frame.

:mod:`.wire` is the sans-I/O codec (frames, reply matching, refusal rules), :mod:`.parse` turns
3.0 payloads into the core's events, :mod:`.client` is the aiohttp driver.
"""
