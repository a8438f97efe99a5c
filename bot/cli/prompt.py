"""Where ``setup`` gets its answers: flags, then the environment (the settings' own names), then,
on a terminal only, a question (secrets are read without echo).

Strategy: :class:`Answers` is a plain mapping filled from flags and the environment; a
:class:`Terminal` asks for what is still missing. Without a terminal nothing is asked: a missing
answer is an error naming the setting and its flag.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import TextIO

from bot.errors import ConfigError


class Aborted(Exception):
    """The person ended the questions (Ctrl-D or Ctrl-C): nothing is written."""


def flag_of(name: str) -> str:
    """``ONPBX_DOMAIN`` -> ``--onpbx-domain``."""
    return "--" + name.lower().replace("_", "-")


class Answers:
    """Answers by setting name: flags over the environment; blank values count as not given."""

    def __init__(self, names: tuple[str, ...], flags: Mapping[str, str | None],
                 environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.values: dict[str, str] = {}
        for name in names:
            value = flags.get(name) or environ.get(name) or ""
            if value.strip():
                self.values[name] = value.strip()

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def set(self, name: str, value: str) -> None:
        if value:
            self.values[name] = value
        else:
            self.values.pop(name, None)

    def need(self, name: str, why: str) -> str:
        """The answer, or a ConfigError saying how to give it (no terminal to ask on)."""
        if not self.get(name):
            raise ConfigError(
                f"{name} is not given ({why}): set {name} in the environment or pass {flag_of(name)}"
            )
        return self.get(name)


class Terminal:
    """Questions on a terminal; EOF (Ctrl-D) raises :class:`Aborted`."""

    def __init__(self, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _line(self) -> str:
        line = self.stdin.readline()
        if not line:
            raise Aborted
        return line.strip()

    def ask(self, question: str, default: str = "") -> str:
        """One line; Enter keeps ``default``."""
        print(f"{question} [{default}]: " if default else f"{question}: ", end="", file=self.out, flush=True)
        return self._line() or default

    def yes(self, question: str) -> bool:
        return self.ask(question + " [y/N]").lower() in ("y", "yes", "д", "да")

    def secret(self, question: str, *, kept: bool = False) -> str:
        """One line read without echo; Enter keeps the value given already (``kept``)."""
        suffix = " [given; Enter keeps it]: " if kept else ": "
        with self._no_echo():
            print(question + suffix, end="", file=self.out, flush=True)
            value = self._line()
        print(file=self.out, flush=True)
        return value

    @contextlib.contextmanager
    def _no_echo(self) -> Iterator[None]:
        import termios

        try:
            fd = self.stdin.fileno()
            old = termios.tcgetattr(fd)
        except (termios.error, OSError, ValueError):
            yield  # not a real terminal (a test's stream): nothing to hide from
            return
        new = list(old)
        new[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSADRAIN, new)
        try:
            yield
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, old)
