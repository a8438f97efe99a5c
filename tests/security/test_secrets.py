"""Secrets never reach logs, ``doctor`` output or chat replies: a demo-like scenario (simulator,
whole bot at DEBUG, console chat, missed call, a failing Telegram token check, an unreachable
Slack API) with the real logging setup installed, then every captured byte is searched."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.console.adapter import ConsoleChat
from bot.cli.doctor import run_doctor
from bot.logsetup import setup_logging
from tests.faults.harness import KEY, BotRig, call_events
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(60)
SECRETS: dict[str, Any] = {
    "telegram_bot_token": "987654:TG-secret-token-value-xyz",
    "telegram_webhook_secret": "tg-webhook-secret-value",
    "slack_bot_token": "xoxb-slack-bot-secret-111",
    "slack_app_token": "xapp-slack-app-secret-222",
    "slack_signing_secret": "slack-signing-secret-333",
}
LINES = ("/help", "/who", "/calls", "/call 79161234567 from 201", "/trunks", "/settings",
         "/audit 5", f"/sipmsg 201 {KEY}", "/nonsense")


async def test_no_secret_in_logs_doctor_or_replies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    raw = caplog.handler  # sees every record before the redaction filter's handler formats it
    async with StandIn() as api:
        api.script("getMe", 401, "Unauthorized")
        try:
            async with BotRig(tmp_path, telegram_api_url=api.url, slack_api_url="http://127.0.0.1:9/api/",
                              bot_log_level="DEBUG", **SECRETS) as rig:
                assert rig.app is not None
                setup_logging("DEBUG", "text", rig.settings.secrets())
                root.addHandler(raw)
                doctor_out = io.StringIO()
                await run_doctor(rig.settings, doctor_out)
                out = io.StringIO()
                console = ConsoleChat(rig.app.core, out)
                for line in LINES:
                    await console.handle_line(line)
                await rig.emit(call_events("79161110021", "201", missed=True))
                await rig.wait_missed(1)
                await rig.sim.drop_connections()  # reconnect logs the handshake path
                assert await rig.app.pbx.wait_connected(5.0)
        finally:
            root.handlers[:], _ = saved
            root.setLevel(saved[1])
    doctor = doctor_out.getvalue()
    assert "FAIL telegram" in doctor and "FAIL slack" in doctor, doctor
    captured = capsys.readouterr()
    replies = out.getvalue() + "\n".join(s.text for s in rig.sender.delivered)
    assert "Calling" in replies and "Extensions" in replies
    everything = {"stderr": captured.err, "stdout": captured.out, "records": caplog.text,
                  "doctor": doctor, "replies": replies}
    assert "PBX link down" in captured.err  # the real handler's stream really was captured
    for secret in [KEY, *SECRETS.values()]:
        for where, text in everything.items():
            if where == "replies" and secret == KEY:  # /sipmsg echoes nothing back
                assert secret not in text.replace(f"/sipmsg 201 {KEY}", "")
                continue
            assert secret not in text, f"{secret[:6]}... leaked into {where}"
