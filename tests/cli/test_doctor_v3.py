"""``onpbx-bot doctor`` on API 3.0: subscribe answered is ok; each way of refusing a key fails
the pbx check in one line that never shows the key."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from adapters.pbx.simulator.v3_server import PbxSimulatorV3, V3Knobs
from bot.cli.doctor import run_doctor
from bot.config import Settings

pytestmark = pytest.mark.timeout(30)
DOMAIN, KEY = "doctor.onpbx.ru", "doctor-v3-key-4242"


@pytest.mark.parametrize("bad_key", ["", "upgrade", "close", "event"])
async def test_doctor_checks_a_3_0_endpoint(tmp_path: Path, bad_key: str) -> None:
    sim = PbxSimulatorV3(DOMAIN, KEY, knobs=V3Knobs(bad_key=bad_key or "upgrade"))  # type: ignore[arg-type]
    await sim.start()
    key = "wrong-" + KEY if bad_key else KEY
    settings = Settings(_env_file=None, onpbx_domain=DOMAIN, onpbx_key=key, onpbx_url=sim.url,  # type: ignore[call-arg]
                        bot_db=str(tmp_path / "bot.sqlite3"))
    out = io.StringIO()
    try:
        code = await run_doctor(settings, out)
    finally:
        await sim.stop()
    [pbx] = [line for line in out.getvalue().splitlines() if " pbx " in line]
    if bad_key:
        assert code == 1 and pbx.startswith("FAIL") and "refused the API key" in pbx, pbx
    else:
        assert pbx.startswith("ok") and "API 3.0, subscribe answered (subscribed)" in pbx, pbx
    assert KEY not in out.getvalue()
