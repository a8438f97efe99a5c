"""Console chat: alerts print as they would appear in a chat; typed lines are commands."""

from adapters.console.adapter import ConsoleChat

__all__ = ["ConsoleChat"]
