"""onpbx-bot core: the kernel (domain types, events, errors, ports, config, i18n) at this level and
one room per concern below it: ``tracking``, ``alerts``, ``delivery``, ``commands``; ``cli`` is the
command line and the one composition root.

Outside ``bot.cli`` the core imports no chat SDK, no aiohttp, no sqlite_utils and nothing from
``adapters`` or ``storage``: those implement the small interfaces in :mod:`bot.ports` and are wired
in :mod:`bot.cli.app`.
"""
