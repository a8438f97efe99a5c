"""Contract of ``bot.ports.Store``: chats, bindings, people, grants, pairing codes, tracked calls,
audit and settings. Each test runs against every store (see conftest ``store``)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot.domain import AuditEntry, ChatRef, ChatSettings, Grant, Role, UserRef
from bot.errors import StorageError
from bot.ports import Store
from tests.storage.samples import SL, TG, TG2

pytestmark = pytest.mark.timeout(20)


async def test_ensure_chat_inserts_defaults_then_keeps_settings(store: Store) -> None:
    first = await store.ensure_chat(TG, title="Sales", language="en", timezone="UTC")
    assert first == ChatSettings(TG, title="Sales", language="en", timezone="UTC")
    changed = dataclasses.replace(first, language="ru", alert_calls=True, active=False)
    await store.update_chat(changed)
    again = await store.ensure_chat(TG, title="Sales team", language="en", timezone="UTC")
    assert again == dataclasses.replace(changed, title="Sales team", active=True)
    assert await store.get_chat(TG) == again


async def test_get_unknown_chat_is_none(store: Store) -> None:
    assert await store.get_chat(ChatRef("telegram", "404")) is None


async def test_update_chat_writes_every_field(store: Store) -> None:
    await store.ensure_chat(SL, title="ops", language="ru", timezone="Europe/Moscow")
    full = ChatSettings(
        SL, "ops2", "en", "Asia/Tokyo", False, False, False, True, True, True, "22:00", "08:00"
    )
    await store.update_chat(full)
    assert await store.get_chat(SL) == full
    await store.update_chat(dataclasses.replace(full, quiet_start=None, quiet_end=None))
    got = await store.get_chat(SL)
    assert got is not None and got.quiet_start is None and got.quiet_end is None


async def test_update_unknown_chat_raises(store: Store) -> None:
    with pytest.raises(StorageError):
        await store.update_chat(ChatSettings(ChatRef("slack", "nope")))


async def test_list_chats_covers_platforms(store: Store) -> None:
    for chat in (TG2, SL, TG):
        await store.ensure_chat(chat, title=chat.chat_id, language="ru", timezone="UTC")
    assert [s.chat for s in await store.list_chats()] == [SL, TG, TG2]


async def test_bindings(store: Store) -> None:
    await store.ensure_chat(TG, title="", language="ru", timezone="UTC")
    await store.ensure_chat(SL, title="", language="ru", timezone="UTC")
    assert await store.bind(TG, "101") is True
    assert await store.bind(TG, "101") is False
    assert await store.bind(TG, "20") is True
    assert await store.bind(SL, "101") is True
    assert await store.extensions_of(TG) == ["20", "101"]
    assert await store.chats_of("101") == [SL, TG]
    assert await store.chats_of("999") == []
    assert await store.bindings() == {"101": [SL, TG], "20": [TG]}  # the router's one read
    assert await store.unbind(TG, "555") == []
    assert await store.unbind(TG, "20") == ["20"]
    assert await store.bind(TG, "30") is True
    assert await store.unbind(TG, None) == ["30", "101"]
    assert await store.extensions_of(TG) == []
    assert await store.chats_of("101") == [SL]
    assert await store.bindings() == {"101": [SL]}


async def test_bind_unknown_chat_raises(store: Store) -> None:
    with pytest.raises(StorageError):
        await store.bind(ChatRef("telegram", "ghost"), "101")


async def test_migrate_chat_moves_settings_bindings_and_chat_grants(store: Store) -> None:
    settings = await store.ensure_chat(TG, title="G", language="en", timezone="UTC")
    await store.update_chat(dataclasses.replace(settings, alert_all_missed=True))
    await store.bind(TG, "101")
    await store.grant("telegram", "u1", Role.ADMIN, TG.chat_id)
    await store.grant("telegram", "u2", Role.VIEWER, "*")
    await store.grant("slack", "u3", Role.OPERATOR, TG.chat_id)  # other platform: untouched
    await store.migrate_chat(TG, TG2)
    assert await store.get_chat(TG) is None
    moved = await store.get_chat(TG2)
    assert moved == ChatSettings(TG2, "G", "en", "UTC", alert_all_missed=True)
    assert await store.extensions_of(TG2) == ["101"]
    assert await store.chats_of("101") == [TG2]
    assert await store.bindings() == {"101": [TG2]}
    assert await store.roles_of("telegram", "u1") == {TG2.chat_id: Role.ADMIN}
    assert await store.roles_of("telegram", "u2") == {"*": Role.VIEWER}
    assert await store.roles_of("slack", "u3") == {TG.chat_id: Role.OPERATOR}


async def test_migrate_chat_onto_known_chat_merges(store: Store) -> None:
    await store.ensure_chat(TG, title="old", language="en", timezone="UTC")
    await store.ensure_chat(TG2, title="new", language="ru", timezone="UTC")
    await store.bind(TG, "101")
    await store.bind(TG2, "101")
    await store.bind(TG2, "102")
    await store.grant("telegram", "u1", Role.ADMIN, TG.chat_id)
    await store.grant("telegram", "u1", Role.VIEWER, TG2.chat_id)
    await store.migrate_chat(TG, TG2)
    assert [s.chat for s in await store.list_chats()] == [TG2]
    assert await store.extensions_of(TG2) == ["101", "102"]
    assert await store.roles_of("telegram", "u1") == {TG2.chat_id: Role.ADMIN}


async def test_people_lookup_by_id_and_username(store: Store) -> None:
    await store.remember_person(UserRef("telegram", "42", "Ivan Petrov", "IvanP"))
    await store.remember_person(UserRef("slack", "U07", "Anna", "anna"))
    for handle in ("42", "ivanp", "@IvanP", " @IVANP "):
        found = await store.find_person("telegram", handle)
        assert found == UserRef("telegram", "42")
        assert found is not None and (found.display, found.username) == ("Ivan Petrov", "IvanP")
    assert await store.find_person("slack", "u07") == UserRef("slack", "U07")
    assert await store.find_person("slack", "ivanp") is None
    assert await store.find_person("telegram", "@") is None
    await store.remember_person(UserRef("telegram", "42", "Ivan", "ivan_new"))
    assert await store.find_person("telegram", "ivanp") is None
    found = await store.find_person("telegram", "@ivan_new")
    assert found is not None and found.display == "Ivan"


async def test_username_moved_to_someone_else_finds_the_newest(store: Store) -> None:
    await store.remember_person(UserRef("telegram", "1", "Old", "boss"))
    await store.remember_person(UserRef("telegram", "2", "New", "boss"))
    assert await store.find_person("telegram", "boss") == UserRef("telegram", "2")


async def test_find_people_lists_everyone_with_a_username(store: Store) -> None:
    await store.remember_person(UserRef("slack", "U1", "Anna K", "anna"))
    await store.remember_person(UserRef("slack", "U2", "Anna P", "Anna"))
    await store.remember_person(UserRef("slack", "U3", "Boris", "boris"))
    await store.remember_person(UserRef("telegram", "4", "Anna T", "anna"))
    found = await store.find_people("slack", "@ANNA")
    assert found == [UserRef("slack", "U2"), UserRef("slack", "U1")]
    assert [p.display for p in found] == ["Anna P", "Anna K"]
    assert await store.find_people("slack", "") == [] and await store.find_people("slack", "nobody") == []


async def test_grants_replace_revoke_and_list(store: Store) -> None:
    await store.remember_person(UserRef("telegram", "42", "Ivan", "ivan"))
    await store.grant("telegram", "42", Role.VIEWER, "*")
    await store.grant("telegram", "42", Role.ADMIN, "*")
    await store.grant("telegram", "42", Role.OPERATOR, "-100")
    await store.grant("slack", "U1", Role.VIEWER, "C1")
    roles = await store.roles_of("telegram", "42")
    assert roles == {"*": Role.ADMIN, "-100": Role.OPERATOR}
    assert all(isinstance(r, Role) for r in roles.values())
    assert await store.list_grants() == [
        Grant("slack", "U1", Role.VIEWER, "C1", ""),
        Grant("telegram", "42", Role.ADMIN, "*", "Ivan"),
        Grant("telegram", "42", Role.OPERATOR, "-100", "Ivan"),
    ]
    assert await store.revoke("telegram", "42", "-100") == 1
    assert await store.revoke("telegram", "42", "-100") == 0
    await store.grant("telegram", "42", Role.VIEWER, "-200")
    assert await store.revoke("telegram", "42", None) == 2
    assert await store.roles_of("telegram", "42") == {}
    assert await store.roles_of("slack", "U1") == {"C1": Role.VIEWER}


async def test_pairing_code_is_single_use_and_expires(store: Store) -> None:
    await store.add_pairing_code("h1", expires_at=100.0)
    await store.add_pairing_code("h2", expires_at=100.0)
    assert await store.redeem_pairing_code("nope", now=1.0) is False
    assert await store.redeem_pairing_code("h1", now=99.0) is True
    assert await store.redeem_pairing_code("h1", now=99.5) is False
    assert await store.redeem_pairing_code("h2", now=100.0) is False
    await store.add_pairing_code("h1", expires_at=500.0)  # a used code never comes back
    assert await store.redeem_pairing_code("h1", now=200.0) is False


async def test_tracked_calls(store: Store) -> None:
    legs = ["a", "b"]
    snap: dict[str, Any] = {"call_id": "a", "legs": legs, "nested": {"x": 1}, "n": None}
    await store.save_call("a", snap, 2.0)
    await store.save_call("b", {"call_id": "b"}, 1.0)
    legs.append("mutated-after-save")
    loaded = await store.load_calls()
    assert loaded == [{"call_id": "b"}, {"call_id": "a", "legs": ["a", "b"], "nested": {"x": 1}, "n": None}]
    await store.save_call("b", {"call_id": "b", "phase": "answered"}, 3.0)
    await store.delete_call("a")
    await store.delete_call("missing")
    assert await store.load_calls() == [{"call_id": "b", "phase": "answered"}]


async def test_audit_newest_first(store: Store) -> None:
    entries = [
        AuditEntry(float(i), "telegram", "-100", "42", "Ivan", f"cmd{i}", "a b", i % 2 == 0, "ok")
        for i in range(5)
    ]
    for e in entries:
        await store.audit(e)
    assert await store.recent_audit(3) == entries[::-1][:3]
    assert await store.recent_audit(100) == entries[::-1]
    assert await store.recent_audit(0) == []


async def test_settings_get_set_delete(store: Store) -> None:
    assert await store.get_setting("k") is None
    await store.set_setting("k", "v1")
    await store.set_setting("k", "v2")
    assert await store.get_setting("k") == "v2"
    await store.set_setting("k", None)
    assert await store.get_setting("k") is None
    await store.set_setting("k", None)
    await store.set_setting("empty", "")
    assert await store.get_setting("empty") == ""
