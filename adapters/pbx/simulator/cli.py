"""``onpbx-bot simulate``: run the onlinePBX simulator until SIGINT/SIGTERM.

Strategy: parse flags into :class:`.server.PbxSimulator` arguments, print one line with the URL
(never the key), optionally play a scenario, and wait for a signal; exit 0 on a clean stop.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from adapters.pbx.simulator import v3_knobs
from adapters.pbx.simulator.scenario import Scenario, ScenarioError, load_scenario
from adapters.pbx.simulator.server import PbxSimulator

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``onpbx-bot simulate``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=None, help="port (0 = any free port; 8094, 3342 on 3.0)")
    parser.add_argument("--domain", default="example.onpbx.ru", help="the PBX domain clients must name")
    parser.add_argument("--key", default="demo-key", help="the API key clients must present")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the traffic")
    parser.add_argument("--rate", type=float, default=0.0, metavar="CALLS_PER_MIN",
                        help="random calls per (simulated) minute; 0 = no random traffic")
    parser.add_argument("--scenario", default=None, metavar="FILE", help="JSON scenario to play at start")
    parser.add_argument("--heartbeat-interval", type=float, default=25.0, help="seconds between 2:: pings")
    parser.add_argument("--heartbeat-timeout", type=float, default=60.0, help="drop a silent client after")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="simulated seconds per real second (10 = ten times faster)")
    parser.add_argument("--api", choices=["2", "3"], default="2", help="WebSockets API to serve")
    v3_knobs.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the simulator; 0 after SIGINT/SIGTERM, 2 for a bad scenario or port."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
    except ScenarioError as exc:
        logger.error("%s", exc)
        return 2
    if args.time_scale <= 0 or args.rate < 0:
        logger.error("--time-scale must be > 0 and --rate >= 0")
        return 2
    sim = v3_knobs.simulator(args) if args.api == "3" else PbxSimulator(
        args.domain, args.key, seed=args.seed, rate_per_min=args.rate,
        heartbeat_interval=args.heartbeat_interval, heartbeat_timeout=args.heartbeat_timeout,
        time_scale=args.time_scale)
    port = args.port if args.port is not None else (3342 if args.api == "3" else 8094)
    try:
        asyncio.run(_serve(sim, args.host, port, scenario))
    except OSError as exc:
        logger.error("cannot listen on %s:%s: %s", args.host, port, exc.strerror or exc)
        return 2
    return 0


async def _serve(sim: PbxSimulator, host: str, port: int, scenario: Scenario | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sim.start(host, port)
    print(f"onlinePBX simulator for {sim.domain} at {sim.url}", flush=True)
    print(f"onlinePBX HTTP API at {sim.url} (ONPBX_HTTP_URL; port {sim.port})", flush=True)
    if scenario is not None:
        await sim.play(scenario)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        logger.info("simulator stopped")
