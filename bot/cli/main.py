"""Command line: ``onpbx-bot run|setup|demo|simulate|admin|doctor``.

Strategy: parse arguments, read settings once, hand off to the composition root
(:mod:`bot.cli.app`) or the demo/simulator; map errors to exit codes (bad or missing settings are
one line each on stderr, all at once, and exit 2; SIGTERM/SIGINT stop gracefully with exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from importlib import metadata

from bot.config import read_settings
from bot.configcheck import missing, platform_problems
from bot.errors import BotError, ConfigError
from bot.logsetup import setup_logging


def version() -> str:
    try:
        return metadata.version("onpbx-bot")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onpbx-bot", description="onlinePBX <-> Telegram/Slack bot")
    parser.add_argument("--version", action="version", version=f"onpbx-bot {version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (settings from the environment and .env)")
    run.add_argument("--console", action="store_true",
                     help="also (or only: no chat platform needed) chat in this terminal; you are an admin")
    from bot.cli import setup

    setup.add_arguments(sub.add_parser("setup", help="write .env step by step, checking every answer live"))
    demo = sub.add_parser("demo", help="the bot on the built-in PBX simulator, with a console chat")
    demo.add_argument("--duration", type=float, default=30.0, help="seconds of the scripted session")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--api", choices=["2", "3"], default="2", help="the WebSockets API the PBX speaks")
    demo.add_argument("--scenario", default=None, metavar="FILE",
                      help="scenario or call-flow file (tests/flows/*.json) instead of the built-in one")
    from adapters.pbx.simulator import cli as sim_cli

    sim_cli.add_arguments(sub.add_parser("simulate", help="run the onlinePBX simulator"))
    _admin_parser(sub.add_parser("admin", help="manage admins, roles and bindings in BOT_DB"))
    doctor = sub.add_parser("doctor", help="check settings, database, PBX handshake and chat tokens")
    doctor.add_argument("--console", action="store_true",
                        help="check for `run --console`: no chat platform needed")
    return parser


def _admin_parser(admin: argparse.ArgumentParser) -> None:
    asub = admin.add_subparsers(dest="action", required=True)
    grant = asub.add_parser("grant", help="grant a role: admin grant telegram:123 operator [--chat ID]")
    grant.add_argument("user", help="platform:user_id (Telegram ids are numbers: /start shows yours)")
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


def _refuse(problems: Sequence[str]) -> int:
    for line in problems:
        print(f"onpbx-bot: configuration error: {line}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        from adapters.pbx.simulator import cli as sim_cli

        return sim_cli.run(args)
    try:
        if args.command == "setup":
            from bot.cli import setup

            setup_logging("WARNING", "text", [])
            return setup.run_setup(args)
        return _dispatch(args)
    except ConfigError as exc:
        return _refuse(str(exc).splitlines())
    except BotError as exc:
        print(f"onpbx-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    settings, problems = read_settings()
    quiet = args.command in ("admin", "doctor")  # their output is for a person: no INFO chatter
    level = "WARNING" if quiet or problems else settings.bot_log_level
    setup_logging(level, settings.bot_log_format, settings.secrets())
    if args.command == "doctor":
        from bot.cli.doctor import run_doctor

        return int(asyncio.run(run_doctor(settings, problems=problems, console=args.console)))
    if args.command == "run":
        problems += missing(settings, console=args.console, said=problems)
    if args.command == "demo":  # it serves the chats configured too: half of one is an error
        problems += platform_problems(settings, console=True)
    if problems:
        return _refuse(problems)
    if args.command == "run":
        from bot.cli.run import cmd_run

        return asyncio.run(cmd_run(settings, console=args.console))
    if args.command == "demo":
        from bot.cli.demo import run_demo

        return asyncio.run(run_demo(settings, duration=args.duration, seed=args.seed, api=args.api,
                                    scenario=args.scenario))
    from bot.cli.admin import cmd_admin

    return asyncio.run(cmd_admin(settings, args))


if __name__ == "__main__":
    sys.exit(main())
