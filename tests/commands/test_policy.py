"""The authorization table as a pure function: no store, no PBX, no SDK."""

from __future__ import annotations

import pytest

from bot.commands.policy import KNOWN, decide, effective_role
from bot.domain import Role

VIEWER_CMDS = ("who", "calls", "trunks", "history", "missed", "report")
OPERATOR_CMDS = ("call", "hangup", "transfer", "listen", "sipmsg")
ADMIN_CMDS = ("call:from", "bridge", "bind", "unbind", "reboot", "reloadgw", "flushreg", "broadcast",
              "subscribe", "settings:set", "dial", "grant", "revoke", "admins", "audit")


@pytest.mark.parametrize("command", ["start", "help", "settings"])
def test_open_commands_need_no_role(command: str) -> None:
    assert decide(command, None, chat_bound=False, is_private=False).allowed


def test_pair_is_open_but_only_in_private() -> None:
    assert decide("pair", None, chat_bound=False, is_private=True).allowed
    refused = decide("pair", Role.ADMIN, chat_bound=True, is_private=False)
    assert not refused.allowed and refused.reason == "policy.private_only"


@pytest.mark.parametrize("command", VIEWER_CMDS)
def test_viewer_commands(command: str) -> None:
    assert not decide(command, None, chat_bound=True, is_private=False).allowed
    assert decide(command, Role.VIEWER, chat_bound=False, is_private=False).allowed


@pytest.mark.parametrize("command", OPERATOR_CMDS)
def test_operator_commands_need_operator_and_a_bound_chat(command: str) -> None:
    refused = decide(command, Role.VIEWER, chat_bound=True, is_private=False)
    assert not refused.allowed and refused.reason == "policy.need_role" and refused.needed == Role.OPERATOR
    assert decide(command, Role.OPERATOR, chat_bound=True, is_private=False).allowed
    unbound = decide(command, Role.OPERATOR, chat_bound=False, is_private=False)
    assert not unbound.allowed and unbound.reason == "policy.not_bound"
    assert decide(command, Role.ADMIN, chat_bound=False, is_private=False).allowed


@pytest.mark.parametrize("command", ADMIN_CMDS)
def test_admin_commands(command: str) -> None:
    for role in (None, Role.VIEWER, Role.OPERATOR):
        d = decide(command, role, chat_bound=True, is_private=True)
        assert not d.allowed and d.needed == Role.ADMIN
    assert decide(command, Role.ADMIN, chat_bound=False, is_private=False).allowed


def test_table_covers_exactly_the_known_commands() -> None:
    extra = ("start", "help", "settings", "pair", "done")
    assert set(VIEWER_CMDS + OPERATOR_CMDS + ADMIN_CMDS + extra) == KNOWN


def test_done_needs_an_operator_but_no_binding() -> None:
    assert decide("done", Role.OPERATOR, chat_bound=False, is_private=False).allowed
    assert decide("done", Role.VIEWER, chat_bound=True, is_private=False).needed == Role.OPERATOR


@pytest.mark.parametrize("command", ["", "rm -rf", "call;drop", "CALL", "help ", "?"])
def test_unknown_commands_are_denied_even_for_admins(command: str) -> None:
    d = decide(command, Role.ADMIN, chat_bound=True, is_private=True)
    assert not d.allowed and d.reason == "policy.unknown"


def test_effective_role_is_the_max_of_config_global_and_chat_grants() -> None:
    admins = {("telegram", "1")}
    assert effective_role("telegram", "1", "c", config_admins=admins, grants={}) == Role.ADMIN
    assert effective_role("slack", "1", "c", config_admins=admins, grants={}) is None
    grants = {"*": Role.VIEWER, "c": Role.OPERATOR, "other": Role.ADMIN}
    assert effective_role("telegram", "2", "c", config_admins=admins, grants=grants) == Role.OPERATOR
    assert effective_role("telegram", "2", "d", config_admins=admins, grants=grants) == Role.VIEWER
    assert effective_role("telegram", "2", "d", config_admins=(), grants={"c": Role.ADMIN}) is None
