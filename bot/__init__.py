"""onpbx-bot core: domain types, call tracking, alerts, commands and authorization.

The core imports no chat SDK, no aiohttp, no sqlite_utils and nothing from ``adapters`` or
``storage``: those implement the small interfaces in :mod:`bot.ports` and are wired in
:mod:`bot.cli.app` (the composition root) and :mod:`bot.cli`.
"""
