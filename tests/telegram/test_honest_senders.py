"""Who sent it, end to end: the real aiogram client against the stand-in, the real CommandService.

Forwarded commands and anonymous senders never run; the /call "which extension" buttons reach
Telegram and work when pressed; command replies keep to their share of a group's budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bot.domain import ChatRef, Role
from tests.fakes import Conversation
from tests.telegram.conftest import settings_for
from tests.telegram.standin import StandIn

pytestmark = pytest.mark.timeout(20)
ADMIN = 777  # the stand-in's default sender
GROUP = -300
BOSS = {"id": ADMIN, "is_bot": False, "first_name": "Ivan"}


@pytest.fixture
def talk() -> Conversation:
    return Conversation(admins=f"telegram:{ADMIN}")


@pytest.fixture
async def live(api: StandIn, talk: Conversation) -> AsyncIterator[TelegramAdapter]:
    tg = TelegramAdapter(settings_for(api), talk.service, polling_timeout=1, rate=1000.0)
    await tg.start()
    yield tg
    await tg.stop()


def texts(api: StandIn, chat: int) -> list[str]:
    return [m["text"] for m in api.of("sendMessage") if str(m["chat_id"]) == str(chat)]


@pytest.mark.parametrize(
    "extra",
    [
        {"forward_origin": {"type": "user", "date": 1_700_000_000, "sender_user": BOSS}},
        {"forward_origin": {"type": "hidden_user", "date": 1_700_000_000, "sender_user_name": "Boss"}},
        {"via_bot": {"id": 999, "is_bot": True, "first_name": "Inline", "username": "inlinebot"}},
    ],
    ids=["forward_origin", "hidden_forward", "via_bot"],
)
async def test_forwarded_command_grants_nothing(
    api: StandIn, talk: Conversation, live: TelegramAdapter, extra: dict[str, Any]
) -> None:
    api.push_message(GROUP, "/grant 666 admin", title="Ops", **extra)  # the admin forwards it
    await api.wait_for("sendMessage")
    assert "ignore forwarded commands" in texts(api, GROUP)[0]
    assert await talk.store.roles_of("telegram", "666") == {}
    assert (await talk.last_audit()).result == "denied: forwarded"


@pytest.mark.parametrize(
    ("user_id", "sender_chat"),
    [
        (1087968824, {"id": GROUP, "type": "group", "title": "Ops"}),  # anonymous group admin
        (136817688, {"id": -1001234, "type": "channel", "title": "News"}),  # posting as a channel
        (4242, {"id": -1005678, "type": "channel", "title": "Linked"}),  # any id: sender_chat decides
    ],
    ids=["anonymous_admin", "as_channel", "sender_chat"],
)
async def test_anonymous_sender_is_told_to_use_a_personal_account(
    api: StandIn, talk: Conversation, live: TelegramAdapter, user_id: int, sender_chat: dict[str, Any]
) -> None:
    await talk.grant(str(user_id), Role.ADMIN, "*")  # even a role given by mistake does not count
    api.push_message(GROUP, "/grant 666 admin", title="Ops", user_id=user_id, username="GroupAnonymousBot",
                     sender_chat=sender_chat)
    await api.wait_for("sendMessage")
    assert "need a personal account" in texts(api, GROUP)[0]
    assert await talk.store.roles_of("telegram", "666") == {}
    if user_id == 4242:
        return  # a person who once wrote as a channel can still be given a role
    api.push_message(GROUP, f"/grant {user_id} operator", title="Ops")  # the real admin tries
    await api.wait_for("sendMessage", 2)
    assert "not a personal account" in texts(api, GROUP)[1]


async def test_which_extension_buttons_reach_telegram_and_dial(
    api: StandIn, talk: Conversation, live: TelegramAdapter
) -> None:
    await talk.bind("201", chat=str(GROUP))
    await talk.bind("202", chat=str(GROUP))
    api.push_message(GROUP, "/call 8 916 123-45-67", title="Ops")
    sent = (await api.wait_for("sendMessage"))[0]
    rows = sent["reply_markup"]["inline_keyboard"]
    datas = [[b["callback_data"] for b in row] for row in rows]
    assert datas == [["c:+79161234567@201"], ["c:+79161234567@202"]]
    api.push_callback(GROUP, 555, rows[1][0]["callback_data"], user_id=ADMIN)
    toast = (await api.wait_for("answerCallbackQuery"))[0]
    assert "Calling 79161234567 from 202" in toast["text"]
    assert talk.pbx.sent == [("make_call", {"from": "202", "to": "79161234567"})]


async def test_replies_keep_to_their_share_of_a_groups_budget(
    api: StandIn, talk: Conversation, live: TelegramAdapter
) -> None:
    assert live.sender.limits_for(ChatRef("telegram", str(GROUP))).per_minute == 15  # alerts' part
    for _ in range(8):
        api.push_message(GROUP, "/help", title="Ops")
    await api.wait_for("sendMessage", 5)
    for _ in range(250):  # until the core has handled all eight
        if len(await talk.store.recent_audit(50)) == 8:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # the last replies would be posted right after their audit
    assert len(texts(api, GROUP)) == 5  # 20 a minute in a group: a quarter for replies
    api.push_message(501, "/help")  # a private chat has no per-minute cap
    await api.wait_for("sendMessage", 6)
    assert len(texts(api, 501)) == 1
