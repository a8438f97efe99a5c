"""A faithful onlinePBX (WebSockets API 2.0 = Socket.IO 0.9) simulator for tests and demos.

:class:`PbxSimulator` speaks the wire of socket.io@0.9.19; :mod:`.calls` builds the event
sequences of wire-calls.md as pure functions; :mod:`.traffic` and :mod:`.scenario` drive it.
"""

from adapters.pbx.simulator.roster import Extension, Roster, Trunk
from adapters.pbx.simulator.scenario import (
    DEMO_PATH,
    Scenario,
    ScenarioError,
    demo_scenario,
    load_scenario,
    parse_scenario,
)
from adapters.pbx.simulator.server import PbxSimulator

__all__ = [
    "DEMO_PATH",
    "Extension",
    "PbxSimulator",
    "Roster",
    "Scenario",
    "ScenarioError",
    "Trunk",
    "demo_scenario",
    "load_scenario",
    "parse_scenario",
]
