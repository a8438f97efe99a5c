"""CombinedPbx: the socket serves what its API has, HTTP the rest; click-to-call falls back to
HTTP while the socket is down."""

from __future__ import annotations

import pytest

from adapters.pbx.combined import CombinedPbx, Unsupported
from bot.domain import SipUser
from bot.errors import PbxNotSupported, PbxUnavailable
from tests.fakes import RecordingPbx


class Http(Unsupported):
    capabilities = frozenset({"make_call", "user_list", "trunk_list"})
    api_name = "http"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def make_call(self, from_: str, to: str, **_: object) -> str:  # type: ignore[override]
        self.calls.append((from_, to))
        return "http-uuid"

    async def user_list(self) -> list[SipUser]:
        return [SipUser("201", name="Anna")]


def v3_socket() -> RecordingPbx:
    sock = RecordingPbx()
    sock.capabilities = frozenset({"transfer", "bridge", "hangup_call"})
    sock.api_name = "3.0"
    return sock


async def test_commands_go_where_the_api_has_them() -> None:
    sock, http = v3_socket(), Http()
    pbx = CombinedPbx(sock, http, lambda: True)
    assert pbx.capabilities == {"transfer", "bridge", "hangup_call", "make_call", "user_list", "trunk_list"}
    assert pbx.api_name == "3.0"
    await pbx.transfer("U1", "202")
    assert await pbx.make_call("201", "79161234567") == "http-uuid"
    assert [u.name for u in await pbx.user_list()] == ["Anna"]
    assert sock.names() == ["transfer"] and http.calls == [("201", "79161234567")]
    with pytest.raises(PbxNotSupported, match=r"eavesdrop is not available on this PBX's API \(3.0\)"):
        await pbx.eavesdrop("U1", "201")
    with pytest.raises(PbxNotSupported):
        await pbx.trunk_list()  # the HTTP source lists it but this one does not override it


async def test_click_to_call_uses_the_socket_while_it_is_up() -> None:
    sock, http = RecordingPbx(), Http()
    pbx = CombinedPbx(sock, http, lambda: True)
    assert await pbx.make_call("201", "202") == sock.next_uuid
    assert http.calls == []


async def test_click_to_call_falls_back_to_http_when_the_socket_is_down() -> None:
    sock, http = RecordingPbx(), Http()
    up = [False]
    pbx = CombinedPbx(sock, http, lambda: up[0])
    assert await pbx.make_call("201", "202") == "http-uuid"
    assert sock.sent == []
    up[0] = True
    sock.fail_next("make_call", PbxUnavailable("link went down"))
    assert await pbx.make_call("201", "203") == "http-uuid"
    assert http.calls == [("201", "202"), ("201", "203")]


async def test_without_http_the_socket_error_stands() -> None:
    sock = RecordingPbx()
    sock.fail_next("make_call", PbxUnavailable("down"))
    with pytest.raises(PbxUnavailable):
        await CombinedPbx(sock, None, lambda: False).make_call("201", "202")
