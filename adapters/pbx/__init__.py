"""onlinePBX WebSockets API 2.0: Socket.IO 0.9 codec, aiohttp driver, API client, simulator."""
