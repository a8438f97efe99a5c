"""PBX faults through the whole bot: the socket drops mid-call, the bot dies mid-call, and the
PBX never answers a command. Each missed call must be alerted exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.pbx.simulator.server import PbxSimulator
from tests.faults.harness import UNCERTAIN, BotRig, call_events

pytestmark = pytest.mark.timeout(30)


async def test_socket_drop_mid_call_alerts_the_missed_call_once(tmp_path: Path) -> None:
    async with BotRig(tmp_path) as rig:
        assert rig.app is not None
        events = call_events("79161110001", "201", missed=True)
        await rig.emit(events[:2])  # ringing
        await rig.wait_events_in(2)
        await rig.sim.drop_connections()
        await rig.sim.wait_for(lambda: rig.sim.handshakes >= 2)
        assert await rig.app.pbx.wait_connected(5.0)
        await rig.sim.wait_for(lambda: any(s.subs for s in rig.sim.sessions.values()))
        await rig.emit(events[2:])  # the hangup arrives on the new socket
        await rig.wait_missed(1)
        await rig.settle()  # every event handled, outbox drained: no duplicate can follow
        texts = rig.missed_texts()
        assert len(texts) == 1 and "916" in texts[0]
        # live across the drop: its answer could have been lost, so never a plain "missed call"
        assert UNCERTAIN in texts[0] and "The PBX link was down during this call" in texts[0]
        assert rig.app.pbx.reconnects >= 1
        names = [name for name, _ in rig.sim.commands_received]
        assert names.count("subscribe") >= 2  # re-subscribed after the reconnect


async def test_bot_killed_mid_call_and_restarted_alerts_once(tmp_path: Path) -> None:
    async with BotRig(tmp_path) as rig:
        first = call_events("79161110002", "201", missed=True)
        second = call_events("79161110003", "201", missed=True)
        await rig.emit(first[:2])
        await rig.wait_events_in(2)
        await rig.stop_bot()  # "killed" between channel_create and channel_destroy
        await rig.start_bot()
        await rig.emit(first[2:] + second)
        await rig.wait_missed(2)
        await rig.settle()
        texts = rig.missed_texts()
        assert len(texts) == 2, texts
        digits = "".join(ch for ch in texts[0] if ch.isdigit())
        assert "9161110002" in digits, texts[0]
        assert UNCERTAIN in texts[0] and UNCERTAIN not in texts[1]  # only the call across the restart
        assert rig.store is not None
        assert await rig.store.outbox_depth() == 0


async def test_restart_replays_a_finished_call_without_duplicate(tmp_path: Path) -> None:
    """A call that was alerted before the restart is not alerted again after it."""
    async with BotRig(tmp_path) as rig:
        await rig.emit(call_events("79161110004", "201", missed=True))
        await rig.wait_missed(1)
        await rig.stop_bot()
        await rig.start_bot()
        await rig.emit(call_events("79161110005", "201", missed=False))
        await rig.wait_events_in(7)
        await rig.settle()
        assert len(rig.missed_texts()) == 1


class SilentSimulator(PbxSimulator):
    """Acknowledges the socket but never answers ``make_call`` (no ack data, no ``callback``)."""

    async def _on_command(self, session, packet):  # type: ignore[no-untyped-def]
        if packet.name == "make_call":
            self.commands_received.append((packet.name, {}))
            return
        await super()._on_command(session, packet)


async def test_pbx_without_callback_gives_the_chat_a_timeout_reply(tmp_path: Path) -> None:
    from adapters.console.adapter import ConsoleChat

    rig = BotRig(tmp_path, onpbx_command_timeout=0.5)
    rig.sim = SilentSimulator(rig.sim.domain, "rig-secret-key-0123456789")
    async with rig:
        assert rig.app is not None
        out = __import__("io").StringIO()
        console = ConsoleChat(rig.app.core, out)
        start = asyncio.get_running_loop().time()
        await console.handle_line("/call 79161234567 from 201")
        elapsed = asyncio.get_running_loop().time() - start
        text = out.getvalue()
        assert ("make_call", {}) in rig.sim.commands_received, text
        assert elapsed < 3.0
        assert "time" in text.lower() or "respond" in text.lower() or "answer" in text.lower(), text
        await console.handle_line("/help")  # still serving
        assert "/call" in out.getvalue()
