"""Command line: ``onpbx-bot run|demo|simulate|admin|doctor``.

Strategy: parse arguments, read settings once, hand off to the composition root
(:mod:`bot.cli.app`) or the demo/simulator; map errors to exit codes (a bad or missing setting is one
line on stderr and exit 2; SIGTERM/SIGINT stop gracefully with exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot.config import Settings, load_settings
from bot.errors import BotError, ConfigError
from bot.logsetup import setup_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onpbx-bot", description="onlinePBX <-> Telegram/Slack bot")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (settings from the environment and .env)")
    demo = sub.add_parser("demo", help="the bot on the built-in PBX simulator, with a console chat")
    demo.add_argument("--duration", type=float, default=30.0, help="seconds of the scripted session")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--api", choices=["2", "3"], default="2", help="the WebSockets API the PBX speaks")
    demo.add_argument("--scenario", default=None, metavar="FILE",
                      help="scenario or call-flow file (tests/flows/*.json) instead of the built-in one")
    from adapters.pbx.simulator import cli as sim_cli

    sim_cli.add_arguments(sub.add_parser("simulate", help="run the onlinePBX simulator"))
    admin = sub.add_parser("admin", help="manage admins, roles and bindings in BOT_DB")
    asub = admin.add_subparsers(dest="action", required=True)
    grant = asub.add_parser("grant", help="grant a role: admin grant telegram:123 operator [--chat ID]")
    grant.add_argument("user", help="platform:user_id")
    grant.add_argument("role", choices=["viewer", "operator", "admin"])
    grant.add_argument("--chat", default="*", help="chat id the grant is limited to (default: all)")
    revoke = asub.add_parser("revoke", help="remove a user's roles")
    revoke.add_argument("user")
    revoke.add_argument("--chat", default=None)
    asub.add_parser("list", help="list grants and bindings")
    asub.add_parser("code", help="print a one-time pairing code (1 hour, single use) for /pair")
    bind = asub.add_parser("bind", help="bind a chat to an extension: admin bind telegram:-100123 201")
    bind.add_argument("chat", help="platform:chat_id")
    bind.add_argument("ext")
    sub.add_parser("doctor", help="check settings, database, PBX handshake and chat tokens")
    return parser


async def _run_until_signal(main: Callable[[asyncio.Event], Awaitable[int]]) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return await main(stop)


async def cmd_run(settings: Settings) -> int:
    from bot.cli.admin import open_store
    from bot.cli.app import Application

    settings.require_pbx()
    settings.event_groups  # noqa: B018 - validates ONPBX_EVENTS early
    settings.admins  # noqa: B018 - validates BOT_ADMINS early
    store = await open_store(settings)
    app = Application(settings, store)
    if not app.adapters:
        print("warning: no chat platform configured (TELEGRAM_BOT_TOKEN or SLACK_*)", file=sys.stderr)

    async def main(stop: asyncio.Event) -> int:
        try:
            await app.start()  # may fail (a port in use): what started is still stopped below
            await stop.wait()
        finally:
            await app.stop()
            await store.close()
        return 0

    return await _run_until_signal(main)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        from adapters.pbx.simulator import cli as sim_cli

        return sim_cli.run(args)
    try:
        settings = load_settings()
        quiet = args.command in ("admin", "doctor")  # their output is for a person: no INFO chatter
        level = "WARNING" if quiet else settings.bot_log_level
        setup_logging(level, settings.bot_log_format, settings.secrets())
        if args.command == "run":
            return asyncio.run(cmd_run(settings))
        if args.command == "demo":
            from bot.cli.demo import run_demo

            return asyncio.run(run_demo(settings, duration=args.duration, seed=args.seed, api=args.api,
                                        scenario=args.scenario))
        if args.command == "admin":
            from bot.cli.admin import cmd_admin

            return asyncio.run(cmd_admin(settings, args))
        if args.command == "doctor":
            from bot.cli.doctor import run_doctor

            return int(asyncio.run(run_doctor(settings)))
    except ConfigError as exc:
        print(f"onpbx-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"onpbx-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
