"""onlinePBX sources: ``v2/`` (WebSockets API 2.0 over Socket.IO 0.9), the event parsing shared by
every source (``parse``), and the ``simulator/``."""
