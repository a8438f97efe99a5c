"""The app manifest registers what the adapter listens to (checked line by line: no YAML lib)."""

from __future__ import annotations

from pathlib import Path

MANIFEST = Path(__file__).resolve().parents[2] / "slack-app-manifest.yml"
SCOPES = ("commands", "chat:write", "app_mentions:read", "channels:read", "groups:read", "im:read",
          "im:write", "users:read")  # fmt: skip


def test_manifest_registers_command_scopes_events_and_socket_mode() -> None:
    lines = [line.strip() for line in MANIFEST.read_text(encoding="utf-8").splitlines()]
    assert "- command: /pbx" in lines
    assert any(line.startswith("should_escape: true") for line in lines)  # mentions come as ids
    assert all(f"- {scope}" in lines for scope in SCOPES)
    assert "- app_mention" in lines
    assert lines[lines.index("interactivity:") + 1] == "is_enabled: true"
    assert "socket_mode_enabled: true" in lines
    assert "\t" not in MANIFEST.read_text(encoding="utf-8")
