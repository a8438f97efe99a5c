"""``onpbx-bot simulate --api 3`` flags: one per inferred point of the 3.0 contract.

Kept apart from :mod:`.cli` so the 2.0 flags stay as they were; :func:`simulator` builds the
3.0 simulator from the parsed flags.
"""

from __future__ import annotations

import argparse

from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The 3.0 knobs (ignored on 2.0)."""
    parser.add_argument("--stamp-unit", choices=["s", "ms", "us"], default="s",
                        help="3.0: unit of created/answered stamps")
    parser.add_argument("--no-req-id", action="store_true", help="3.0: replies do not echo reqId")
    parser.add_argument("--groups", choices=["snake", "camel", "any"], default="snake",
                        help="3.0: group spelling accepted by subscribe (others: error_subscribe)")
    parser.add_argument("--bad-key", choices=["upgrade", "close", "event"], default="upgrade",
                        help="3.0: refuse a wrong key with HTTP 401, a close frame or an error_* event")


def simulator(args: argparse.Namespace) -> PbxSimulatorV3:
    """The 3.0 simulator the flags describe."""
    knobs = V3Knobs(stamp_unit=args.stamp_unit, echo_req_id=not args.no_req_id, group_names=args.groups,
                    bad_key=args.bad_key)
    return PbxSimulatorV3(args.domain, args.key, knobs=knobs, seed=args.seed, rate_per_min=args.rate,
                          time_scale=args.time_scale)
