"""Capped exponential backoff with jitter: a small pure object, shared by the PBX link and the
outbox. ``next_delay()`` grows the attempt count; ``reset()`` after a stable success."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.2  # +/- this fraction of the delay
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempt: int = 0

    def peek(self, attempt: int | None = None) -> float:
        """The delay without jitter for ``attempt`` (default: the next one)."""
        n = self.attempt if attempt is None else attempt
        return float(min(self.cap, self.base * self.factor ** min(n, 64)))

    def next_delay(self) -> float:
        delay = self.peek()
        self.attempt += 1
        spread = delay * self.jitter
        return max(0.0, min(self.cap, delay + self.rng.uniform(-spread, spread)))

    def reset(self) -> None:
        self.attempt = 0
