"""``BOT_DB`` as a SQLite path or a PostgreSQL URL, and the URL's password found and masked
wherever it is written (bot/dsn.py)."""

from __future__ import annotations

import pytest

from bot.dsn import dsn_passwords, is_postgres_url, redact_dsn


@pytest.mark.parametrize(
    ("value", "postgres"),
    [
        ("./onpbx-bot.sqlite3", False),
        ("/var/lib/onpbx/bot.db", False),
        ("postgresql://bot@db/onpbx", True),
        ("  POSTGRES://bot@db/onpbx", True),
        ("postgresql.db", False),
    ],
)
def test_only_a_postgresql_url_means_postgresql(value: str, postgres: bool) -> None:
    assert is_postgres_url(value) is postgres


@pytest.mark.parametrize(
    ("url", "secrets", "masked"),
    [
        ("postgresql://bot:s3cret@db:5432/onpbx", ["s3cret"], "postgresql://bot:***@db:5432/onpbx"),
        ("postgresql://bot:p%40ss%3Aword@db/onpbx", ["p%40ss%3Aword", "p@ss:word"], "postgresql://bot:***@db/onpbx"),
        ("postgresql://bot:a@b@db/onpbx", ["a@b"], "postgresql://bot:***@db/onpbx"),
        ("postgresql://bot@db/onpbx?password=q1w2e3&sslmode=require", ["q1w2e3"],
         "postgresql://bot@db/onpbx?password=***&sslmode=require"),
        ("postgresql://bot:one@h1:5432,h2:5433/onpbx?target_session_attrs=read-write", ["one"],
         "postgresql://bot:***@h1:5432,h2:5433/onpbx?target_session_attrs=read-write"),
        ("postgresql://bot@db/onpbx", [], "postgresql://bot@db/onpbx"),
        ("postgresql:///onpbx", [], "postgresql:///onpbx"),
        ("./onpbx-bot.sqlite3", [], "./onpbx-bot.sqlite3"),
    ],
)  # fmt: skip
def test_passwords_are_found_and_masked(url: str, secrets: list[str], masked: str) -> None:
    assert dsn_passwords(url) == secrets
    assert redact_dsn(url) == masked
    assert not any(s in redact_dsn(url) for s in secrets)
