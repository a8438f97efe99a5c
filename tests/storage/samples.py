"""Sample alerts and chats for the storage tests."""

from __future__ import annotations

from bot.domain import CallCard, ChatRef, MissedCall, RegistrationChange

TG = ChatRef("telegram", "-100")
TG2 = ChatRef("telegram", "-200")
SL = ChatRef("slack", "C1")


def missed(call_id: str = "a1", ext: str = "101") -> MissedCall:
    return MissedCall(
        call_id=call_id,
        caller_number="+79990001122",
        caller_name="Ivan",
        extensions=(ext, "102"),
        destination="100",
        gate="trunk1",
        started_ms=1_000,
        ended_ms=9_000,
        hangup_cause="NO_ANSWER",
    )


def reg(ext: str = "101", online: bool = True) -> RegistrationChange:
    return RegistrationChange(ext=ext, online=online, at_ms=5_000, agent="Yealink", port=5060)


def card(phase: str = "ringing", call_id: str = "c1") -> CallCard:
    return CallCard(
        call_id=call_id,
        phase=phase,  # type: ignore[arg-type]
        direction="in",
        caller_number="+7999",
        caller_name="",
        callee="100",
        extensions=("101",),
        gate="trunk1",
        started_ms=1_000,
    )
