"""Commands: every chat command and button press. One authorization stage (``policy``), the
handler groups (``chat``, ``calls``, ``pbx``, ``admin``), the dial policy, confirmations, pairing."""

from bot.commands.pairing import create_pairing_code
from bot.commands.quotas import HEAVY
from bot.commands.service import CommandService

__all__ = ["HEAVY", "CommandService", "create_pairing_code"]
