"""Command line: ``onpbx-bot run|demo|simulate|admin|doctor``. The composition root lives in
:mod:`bot.app`; this module only parses arguments and maps errors to exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onpbx-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    from adapters.pbx.simulator import cli as sim_cli

    sim_cli.add_arguments(sub.add_parser("simulate", help="run the onlinePBX simulator"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":
        from adapters.pbx.simulator import cli as sim_cli

        return sim_cli.run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
