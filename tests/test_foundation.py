"""The project's front door: the README's two commands, every setting documented, CI wiring."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _env_example_keys() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE)}


def test_env_example_lists_exactly_the_settings() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert _env_example_keys() == fields


def test_env_example_comments_every_setting() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            assert i > 0 and lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert readme.index("make demo") < readme.index("## Running it for real")
    assert "python-socketio" in readme  # why the Socket.IO 0.9 codec is our own


def test_makefile_targets_and_ci_entry() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test", "lint", "bench"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "npm install --ignore-scripts" in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "CI=true" in ci and "make test" in ci and "make lint" in ci


def test_console_script_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["scripts"]["onpbx-bot"] == "bot.cli:main"
    assert project["requires-python"] == ">=3.11"
