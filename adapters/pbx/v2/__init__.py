"""onlinePBX WebSockets API 2.0: the sans-I/O Socket.IO 0.9 codec, the aiohttp driver, heartbeat
watchdog, the command builders and the reconnecting API client."""
