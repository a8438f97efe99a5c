"""Stamps in seconds, milliseconds or microseconds all come out of the parser in milliseconds."""

from __future__ import annotations

import pytest

from adapters.pbx.parse import parse_event
from adapters.pbx.stamps import to_ms

MS = 1_700_000_000_123


@pytest.mark.parametrize("raw, ms", [(1_700_000_000, 1_700_000_000_000), (MS, MS), (MS * 1000 + 456, MS),
                                     (None, None), (0, 0), (-5, -5), (1000, 1000)])
def test_to_ms_by_magnitude(raw: int | None, ms: int | None) -> None:
    assert to_ms(raw) == ms


@pytest.mark.parametrize("raw", [1_700_000_000, "1700000000", 1_700_000_000_000, 1_700_000_000_000_000])
def test_parser_normalises_every_stamp(raw: object) -> None:
    create = parse_event("channel_create", {"uuid": "u", "direction": "inbound", "created_stamp": raw})
    answer = parse_event("channel_answer", {"uuid": "u", "answered_stamp": raw})
    destroy = parse_event("channel_destroy", {"uuid": "u", "created_stamp": raw})
    assert create.created_stamp == answer.answered_stamp == destroy.created_stamp == 1_700_000_000_000  # type: ignore[union-attr]
