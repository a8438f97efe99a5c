"""Logging for the whole process: text or JSON lines, and a redaction filter.

Strategy: every configured secret (PBX key, bot tokens, signing secret) is replaced by ``***``
in each finished log line (message, arguments and traceback), so neither our code nor an SDK
that puts a token in a URL can leak one into the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable

REDACTED = "***"


def _hex(number: int, width: int = 2) -> str:
    """``2b`` as a regex matching ``2b`` and ``2B``: hex digits of either case."""
    return "".join(f"[{d.upper()}{d.lower()}]" if d.isalpha() else d for d in f"{number:0{width}x}")


def _forms(ch: str) -> str:
    """A regex of every way one character of a secret may be written out: JSON-escaped
    (a backslash before ``/``, ``"`` or itself; ``\\uXXXX``), as it is, percent-encoded (either
    case, or twice, as in a URL inside a URL) and ``+`` for a space (query strings)."""
    utf8 = ch.encode("utf-8")
    forms = [re.escape("\\" + ch)] if ch in '"\\/' else []
    forms += [re.escape(ch), "".join("%" + _hex(b) for b in utf8), "".join("%25" + _hex(b) for b in utf8),
              re.escape("\\u") + _hex(ord(ch), 4)]
    if ch == " ":
        forms.append(re.escape("+"))
    return "(?:" + "|".join(forms) + ")"


class Redactor:
    """Replaces each secret with ``***`` in every encoding it may take on the way to a line:
    raw, percent-encoded by any quoting rule (``quote``, ``quote_plus``, and the query-string
    encoding aiohttp/yarl use, which keeps ``/ ~ !`` and encodes ``+ =``), and JSON-escaped."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self.secrets = unique
        pattern = "|".join("".join(_forms(ch) for ch in s) for s in unique)
        self._pattern = re.compile(pattern) if pattern else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)


class RedactingFormatter(logging.Formatter):
    """Formats with ``inner``, then redacts the finished line (message, arguments and
    traceback alike). Records are not modified, so other handlers see them untouched."""

    def __init__(self, inner: logging.Formatter, redact: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(self.inner.format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (+ exc)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            data["exc"] = record.exc_text
        elif record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> Redactor:
    """Configure the root logger (stderr); returns the redactor its formatter applies."""
    handler = logging.StreamHandler(sys.stderr)
    redact = Redactor(secrets)
    inner = JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    handler.setFormatter(RedactingFormatter(inner, redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "aiogram.event", "slack_bolt", "slack_sdk"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redact
