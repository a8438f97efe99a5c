"""Writing ``.env``: ``.env.example`` with the answers filled in, readable by its owner only.

Strategy: :func:`render` fills the template's ``NAME=`` lines (comments and order kept; names
the template lacks are appended); :func:`write_private` writes a new file with mode 0600 next to
the target and renames it over the target, so a crash never leaves half a file, and an existing
file is replaced only when the caller says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from bot.errors import ConfigError

TEMPLATE = Path(__file__).resolve().parents[2] / ".env.example"
_LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+,=%~-]*$")
HEADER = "# onpbx-bot settings, written by `onpbx-bot setup`. Every setting: .env.example.\n"


def quoted(name: str, value: str) -> str:
    """``value`` as python-dotenv, systemd and docker read it alike: bare when it has nothing
    special, else single-quoted (literal for all three but docker, which no such value needs)."""
    if _PLAIN.match(value):
        return value
    if "'" in value or "\n" in value:
        raise ConfigError(f"{name}: a value with a quote or a line break cannot be written to .env")
    return f"'{value}'"


def render(answers: Mapping[str, str], template: str | None = None) -> str:
    """The file's text: the template (``.env.example`` when present) with ``answers`` filled in."""
    if template is None:
        template = TEMPLATE.read_text(encoding="utf-8") if TEMPLATE.is_file() else ""
    out, left = [], dict(answers)
    for line in template.splitlines():
        found = _LINE.match(line)
        if found and found.group(1) in left:
            name = found.group(1)
            line = f"{name}={quoted(name, left.pop(name))}"
        out.append(line)
    if left:
        out += ["", "# given to `onpbx-bot setup`"] if out else [HEADER.rstrip()]
        out += [f"{name}={quoted(name, value)}" for name, value in left.items()]
    return "\n".join(out) + "\n"


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` to ``path`` with mode 0600; an existing file only with ``replace``."""
    if path.exists() and not replace:
        raise ConfigError(f"{path} exists; nothing written (answer yes, or pass --force, to replace it)")
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temp, 0o600)  # whatever the umask said
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
