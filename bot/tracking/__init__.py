"""Tracking: PBX events -> calls (legs grouped into calls, verdicts) and phones (registrations, BLF).

Pure state machines with no I/O; their snapshots are stored by the alerts pipeline.
"""

from bot.tracking.calls import CallTracker, CallUpdate
from bot.tracking.gaps import LinkChange
from bot.tracking.presence import Presence
from bot.tracking.registrations import RegistrationTracker

__all__ = ["CallTracker", "CallUpdate", "LinkChange", "Presence", "RegistrationTracker"]
