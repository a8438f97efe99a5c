"""The Socket Mode client's log through :class:`LinkLog`: the SDK's own calls, as it makes them on
every failed connect (``logger.exception`` inside the except block), become one line each."""

from __future__ import annotations

import logging

import pytest

from adapters.slack.linklog import LinkLog, quiet_bolt

FAILED = ("Failed to connect (error: Cannot connect to host 127.0.0.1:9 ssl:default\n[Connect call failed]); "
          "Retrying...")


def sdk_connect_failure(log: LinkLog) -> None:
    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except ConnectionRefusedError:
        log.error("Failed to retrieve WSS URL: refused")  # some paths log this first
        log.exception(FAILED)


def test_each_failed_connect_is_one_line_with_its_attempt(caplog: pytest.LogCaptureFixture) -> None:
    base = logging.getLogger("tests.linklog")
    log = LinkLog(base, retry_s=10.0)
    with caplog.at_level(logging.DEBUG, logger="tests.linklog"):
        for _ in range(3):
            sdk_connect_failure(log)
        log.info("A new session (s-1) has been established")
        sdk_connect_failure(log)
    records = [r for r in caplog.records if r.name == "tests.linklog"]
    texts = [r.getMessage() for r in records]
    assert [t for t in texts if "link down" in t] == [
        "slack: Socket Mode link down (Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed]);"
        f" reconnect attempt {n} in 10 s" for n in (1, 2, 3, 1)
    ]
    assert all(r.exc_info is None for r in records) and not any("WSS URL" in t for t in texts)
    assert "slack: Socket Mode link up after 3 failed attempt(s)" in texts
    assert "A new session (s-1) has been established" in texts  # everything else passes through


def test_bolts_warning_about_our_token_setting_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    logger = quiet_bolt(logging.getLogger("tests.bolt"))
    quiet_bolt(logger)
    with caplog.at_level(logging.INFO, logger="tests.bolt"):
        logger.warning("As you gave `client` as well, `token` will be unused.")
        logger.warning("something else")
    assert [r.getMessage() for r in caplog.records if r.name == "tests.bolt"] == ["something else"]
    assert len(logger.filters) == 1
