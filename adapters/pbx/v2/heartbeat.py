"""Heartbeat bookkeeping for a Socket.IO 0.9 link: sans-I/O (the caller passes the clock).

Strategy: any frame from the server proves the link alive; silence longer than the handshake's
heartbeat timeout means it is dead even if TCP has not noticed. The driver asks how long it may
wait for the next frame (:meth:`HeartbeatMonitor.remaining`) and checks :meth:`is_dead` on expiry.
"""

from __future__ import annotations


class HeartbeatMonitor:
    """Tracks the last receive time against ``timeout`` seconds (None: heartbeats disabled)."""

    __slots__ = ("last_receive", "timeout")

    def __init__(self, timeout: float | None, now: float) -> None:
        if timeout is not None and timeout <= 0:
            timeout = None
        self.timeout = timeout
        self.last_receive = now

    def received(self, now: float) -> None:
        """Record that a frame (any frame) arrived at ``now``."""
        if now > self.last_receive:
            self.last_receive = now

    def silence(self, now: float) -> float:
        """Seconds since the last frame."""
        return max(0.0, now - self.last_receive)

    def is_dead(self, now: float) -> bool:
        """True once the silence has lasted the whole timeout."""
        return self.timeout is not None and self.silence(now) >= self.timeout

    def remaining(self, now: float) -> float | None:
        """Seconds until the link would count as dead (the next check); None: never."""
        if self.timeout is None:
            return None
        return max(0.0, self.timeout - self.silence(now))
