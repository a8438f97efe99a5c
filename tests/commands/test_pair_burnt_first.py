"""Issue 19 §3: ``/pair CODE`` seen anywhere but a private chat burns the code before any other
check: from an anonymous sender, in a forwarded message, from a stranger who used up the minute.
The burnt reply names ``onpbx-bot admin code``; the CLI says where to send a code."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.commands import create_pairing_code
from bot.domain import ChatCommand
from tests.cli.conftest import make_db, run_cli
from tests.fakes import Conversation


async def _burnt(bot: Conversation, cmd: ChatCommand, code: str) -> None:
    await bot.service.handle_command(cmd)
    bot.now += 61  # a fresh minute, then the owner tries the code where it belongs
    assert "Wrong or expired" in await bot.text("8", f"/pair {code}", private=True)
    assert await bot.store.roles_of("telegram", "8") == {}


@pytest.mark.parametrize("how", ["anonymous", "forwarded", "forwarded in private"])
async def test_a_shared_code_is_burnt_whoever_sent_it(how: str) -> None:
    bot = Conversation()
    code = await create_pairing_code(bot.store, bot.now)
    cmd = bot.command("1087968824" if how == "anonymous" else "8", f"/pair {code}",
                      private=how == "forwarded in private")
    cmd = replace(cmd, anonymous=how == "anonymous", forwarded=how.startswith("forwarded"))
    await _burnt(bot, cmd, code)


async def test_a_shared_code_is_burnt_even_from_a_silenced_stranger() -> None:
    bot = Conversation()
    code = await create_pairing_code(bot.store, bot.now)
    for _ in range(3):
        await bot.say("8", "/who")  # the stranger's three commands of the minute
    assert await bot.say("8", f"/pair {code}") == []  # silenced: no reply ...
    assert "Wrong or expired" in await bot.text("9", f"/pair {code}", private=True)  # ... yet burnt


async def test_the_burnt_reply_names_the_command_for_a_new_code() -> None:
    bot = Conversation()
    code = await create_pairing_code(bot.store, bot.now)
    reply = await bot.text("8", f"/pair {code}")
    assert "burnt" in reply and "onpbx-bot admin code" in reply and "onpbx-bot pair" not in reply
    ru = Conversation(language="ru")
    code = await create_pairing_code(ru.store, ru.now)
    assert "onpbx-bot admin code" in await ru.text("8", f"/pair {code}")


def test_admin_code_says_to_send_it_in_a_private_chat_with_the_bot(tmp_path: Path) -> None:
    make_db(tmp_path)  # admin creates no database (issue 24)
    done = run_cli(tmp_path, "admin", "code")
    assert done.returncode == 0, done.stderr
    assert "in a private chat with the bot" in done.stdout
    assert re.search(r"/pair [A-Z0-9]{8}", done.stdout)
