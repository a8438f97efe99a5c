"""The call history settles every gap, end to end: real Application, real HttpPbx and PbxClient,
the simulator (socket and HTTP API in one process), SQLite, a recording chat."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.pbx.simulator.scenario import parse_scenario
from bot.history import WATERMARK_KEY
from tests.faults.harness import until
from tests.history.rig import ANSWERED, MISSED, HistoryRig, age, now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_missed_call_inside_a_gap_is_alerted_once_after_the_reconnect(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        await rig.gap(MISSED)
        await rig.settle()
        missed = rig.missed_texts()
        assert len(missed) == 1 and "while the PBX link was down" in missed[0]
        assert "Иван" in missed[0]


async def test_an_answered_call_whose_answer_fell_into_the_gap_gives_no_missed_alert(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        call = {**ANSWERED, "ring_s": 1.0}
        scenario = parse_scenario(
            {"steps": [{"at": 0, "call": call}, {"at": 0.5, "outage": {"seconds": 1.5}}]}
        )
        await rig.sim.play(scenario, wait=True)  # ringing seen live; answer and hangup in the gap
        await until(lambda: rig.settler.passes >= 1 and rig.settler.state == "ok", 15.0)
        await rig.settle()
        [record] = rig.sim.history.records
        assert record["user_talk_time"] > 0 and rig.missed_texts() == []
        assert rig.app is not None and rig.app.pbx.reconnects >= 1


async def test_an_answered_call_entirely_inside_a_gap_gives_no_missed_alert(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        [record] = await rig.gap(ANSWERED)
        await rig.settle()
        assert record["user_talk_time"] > 0 and rig.missed_texts() == []
        assert rig.settler.passes >= 1 and rig.settler.state == "ok"


async def test_a_missed_call_seen_live_and_in_the_history_is_alerted_once(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        await rig.play(MISSED)
        await rig.wait_missed(1)
        await rig.gap()  # the next reconnect reads the history, which has the same call
        await rig.settle()
        [text] = rig.missed_texts()
        assert "call history" not in text  # the live alert, not a backfilled one


async def test_a_restart_after_two_hours_down_backfills_with_a_digest_past_the_cutoff(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path, bot_backfill_max_h=1.0) as rig:
        await rig.stop_bot()
        [recent] = await rig.play(MISSED)
        [old] = await rig.play({**MISSED, "from": "74950001122"})
        age(old, 90 * 60)
        store_path = rig.db
        assert store_path.exists()
        from storage.sqlite import SqliteStore

        store = await SqliteStore.open(str(store_path))
        await store.set_setting(WATERMARK_KEY, str(now() - 2 * 3600))
        await store.close()
        await rig.start_bot()
        await until(lambda: rig.settler.passes >= 1, 10.0)
        await rig.settle()
        texts = rig.texts()
        single = [t for t in texts if "while the bot was offline" in t and "Found" in t]
        digest = [t for t in texts if "1 missed call while the bot was offline" in t]
        assert len(single) == 1 and recent["uuid"] and len(digest) == 1
        assert "495" in digest[0]


async def test_session_key_expiry_mid_run_logs_in_again(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        await rig.gap()
        logins = rig.sim.http_api.logins
        rig.sim.http_api.expire_sessions()
        await rig.gap(MISSED)
        await rig.settle()
        assert rig.sim.http_api.logins == logins + 1 and len(rig.missed_texts()) == 1


async def test_http_down_leaves_the_bot_running_and_retrying(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with HistoryRig(tmp_path, bot_http_port=free_port()) as rig, aiohttp.ClientSession() as http:
        rig.sim.http_api.down = True
        await rig.sim.outage(0.4)
        await rig.play(MISSED)
        await until(lambda: rig.settler.failures >= 2, 20.0)
        assert rig.app is not None and rig.app.health is not None
        async with http.get(f"http://127.0.0.1:{rig.app.health.port}/healthz") as resp:
            health = await resp.json()
        assert health["history"]["state"] == "failing" and health["history"]["failures"] >= 2
        assert "HTTP 503" in health["history"]["last_error"] and health["pbx_link"] == "connected"
        await rig.play({**MISSED, "from": "74951231234"})  # live alerts keep flowing meanwhile
        await rig.wait_missed(1)
        rig.sim.http_api.down = False
        await until(lambda: rig.settler.state == "ok", 20.0)
        await rig.settle()
        assert len(rig.missed_texts()) == 2
        assert "call history not read" in caplog.text and "rig-secret-key" not in caplog.text


async def test_malformed_records_are_skipped_and_counted(tmp_path: Path) -> None:
    async with HistoryRig(tmp_path) as rig:
        rig.sim.http_api.inject("malformed")
        await rig.gap(MISSED)
        await rig.settle()
        app = rig.app
        assert app is not None
        assert app.counters()["history_malformed"][1] == 3.0
        assert len(rig.missed_texts()) == 1
