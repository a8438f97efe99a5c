"""``BOT_DB``: a SQLite file path (the default) or a PostgreSQL URL whose password is a secret.

Strategy: only ``postgresql://`` and ``postgres://`` mean PostgreSQL; anything else stays a file
path, as before. The password may sit in the URL's user info or in a ``password=`` query
parameter: :func:`dsn_passwords` finds both (for log redaction) and :func:`redact_dsn` masks
both, so a URL can be named in a log line or an error without its password.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

SCHEMES = ("postgresql://", "postgres://")
MASK = "***"


def is_postgres_url(value: str) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL, False for a file path."""
    return value.strip().lower().startswith(SCHEMES)


def _userinfo(netloc: str) -> tuple[str, str | None, str]:
    """(user, password or None, host part) of a URL's netloc, split at the last "@"."""
    info, at, hosts = netloc.rpartition("@")
    if not at:
        return "", None, netloc
    user, colon, password = info.partition(":")
    return user, (password if colon else None), hosts


def dsn_passwords(value: str) -> list[str]:
    """Every password in a PostgreSQL URL, as written and percent-decoded (none for a path)."""
    if not is_postgres_url(value):
        return []
    parts = urlsplit(value.strip())
    found = [_userinfo(parts.netloc)[1]]
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == "password"]
    found += [raw.partition("=")[2] for raw in parts.query.split("&") if raw.startswith("password=")]
    out: list[str] = []
    for secret in found:
        for form in (secret, unquote(secret or "")):
            if form and form not in out:
                out.append(form)
    return out


def redact_dsn(value: str) -> str:
    """The URL with its password replaced by ``***`` (a file path comes back as it is)."""
    if not is_postgres_url(value):
        return value
    parts = urlsplit(value.strip())
    user, password, hosts = _userinfo(parts.netloc)
    netloc = parts.netloc if password is None else f"{user}:{MASK}@{hosts}"
    pairs = parts.query.split("&")
    query = "&".join(f"password={MASK}" if raw.startswith("password=") else raw for raw in pairs)
    return (f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if parts.query else "")
            + (f"#{parts.fragment}" if parts.fragment else ""))  # fmt: skip
