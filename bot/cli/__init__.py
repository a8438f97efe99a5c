"""The ``onpbx-bot`` command line and the one composition root: ``app`` wires the core to the
adapters and the store; ``demo``, ``doctor`` and ``admin`` are CLI commands that wire things too.
Only this package (and tests) may import adapters, storage and SDKs."""

from bot.cli.main import main

__all__ = ["main"]
