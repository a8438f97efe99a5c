"""The app manifest registers what the adapter listens to (checked line by line: no YAML lib), and
its scopes are exactly those of the Web API methods the code calls (found in the source, so a new
call without its scope fails here before a workspace answers ``missing_scope``)."""

from __future__ import annotations

import ast
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.scopes import FEATURE_SCOPES, METHOD_SCOPES, needed

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "slack-app-manifest.yml"
SOURCES = [*sorted((ROOT / "adapters" / "slack").glob("*.py")), *sorted((ROOT / "bot" / "cli").glob("*.py"))]


def manifest_lines() -> list[str]:
    return [line.split("#", 1)[0].strip() for line in MANIFEST.read_text(encoding="utf-8").splitlines()]


def manifest_scopes() -> set[str]:
    lines = manifest_lines()
    start = lines.index("bot:", lines.index("scopes:")) + 1
    scopes = set()
    for line in lines[start:]:
        if not line.startswith("- "):
            break
        scopes.add(line[2:].strip())
    return scopes


def web_api_calls() -> dict[str, str]:
    """Every ``x.method(...)`` in the sources whose name is a Web API method of slack_sdk -> where."""
    found: dict[str, str] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                name = node.func.attr
                web_api = callable(getattr(AsyncWebClient, name, None)) and name != "api_call"
                if web_api and not name.startswith("_"):
                    found.setdefault(name, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_manifest_registers_command_scopes_events_and_socket_mode() -> None:
    lines = manifest_lines()
    assert "- command: /pbx" in lines
    assert any(line.startswith("should_escape: true") for line in lines)  # mentions come as ids
    assert "- app_mention" in lines
    assert lines[lines.index("interactivity:") + 1] == "is_enabled: true"
    assert "socket_mode_enabled: true" in lines
    assert "messages_tab_enabled: true" in lines and "messages_tab_read_only_enabled: false" in lines  # DMs
    assert "\t" not in MANIFEST.read_text(encoding="utf-8")


def test_every_web_api_method_called_has_its_scope_in_the_manifest() -> None:
    calls = web_api_calls()
    assert {"chat_postMessage", "chat_update", "files_upload_v2", "users_info", "auth_test"} <= set(calls)
    unknown = {name: where for name, where in calls.items() if name not in METHOD_SCOPES}
    assert not unknown, f"add these methods' scopes to adapters/slack/scopes.py: {unknown}"
    assert "files:write" in manifest_scopes()  # the report chart's upload
    assert needed() <= manifest_scopes(), f"missing from the manifest: {needed() - manifest_scopes()}"


def test_the_manifest_asks_for_no_scope_the_code_does_not_use() -> None:
    assert manifest_scopes() == needed(), manifest_scopes() ^ needed()
    assert set(FEATURE_SCOPES) <= manifest_scopes()
    used = {METHOD_SCOPES[name] for name in web_api_calls()} - {None}
    assert used | set(FEATURE_SCOPES) == manifest_scopes()  # no scope kept for a method nobody calls
