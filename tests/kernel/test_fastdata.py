"""``@fast_frozen`` value types (bot.fastdata): frozen for the type checker, equal and hashable
by value, and fast to build at run time (the speed itself is measured in ``bench``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from mypy import api as mypy_api

from bot.domain import CallCard, CallRecord
from bot.tracking import CallUpdate
from bot.writes import Enqueue

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]


def card(**changes: object) -> CallCard:
    base = CallCard("a", "ringing", "in", "79161234567", "", "201", ("201",), "g", 1)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_they_compare_and_hash_by_value_like_frozen_dataclasses() -> None:
    assert card() == card() and hash(card()) == hash(card())
    assert card(phase="answered") != card()
    assert len({CallUpdate(card()), CallUpdate(card()), CallUpdate(card(), finished=True)}) == 2
    rec = CallRecord("c1", 1, "in", "1", "2", "+71", tries=(("201", 5),))
    assert {rec: 1}[dataclasses.replace(rec)] == 1
    assert dataclasses.is_dataclass(Enqueue) and not hasattr(card(), "__dict__")  # slotted


def test_the_type_checker_refuses_a_write_to_a_field(tmp_path: Path) -> None:
    snippet = tmp_path / "writes_a_card.py"
    snippet.write_text(
        "from bot.domain import CallCard\n"
        "from bot.tracking import CallUpdate\n"
        "c = CallCard('a', 'ringing', 'in', '1', '', '2', (), '', 0)\n"
        "c.phase = 'ended'\n"
        "CallUpdate(c).finished = True\n"
    )
    out, _, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", str(snippet)]
    )
    assert status == 1, out
    assert out.count("is read-only") == 2, out
