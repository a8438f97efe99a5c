"""Link gaps as a signal in the event stream.

The PBX link (or the bot itself) can be down while calls go on: events of that time are lost. The
composition root puts a :class:`LinkChange` into the same queue as the PBX events, in order, so the
call tracker learns exactly which calls were alive across a gap (their verdict becomes uncertain).
A bot restart is a gap too: it starts "down" and comes "up" when the link connects.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LinkChange:
    """The event stream stops (``up=False``: link lost, bot starting) or flows again (``up=True``)."""

    up: bool
