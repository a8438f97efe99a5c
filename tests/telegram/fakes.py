"""A recording fake of the core's ChatCore port, with scripted replies."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.domain import ActionReply, ChatAction, ChatCommand, ChatRef, OutMessage


@dataclass
class FakeCore:
    """Records every command, action and migration; answers from ``replies``/``action_reply``."""

    replies: dict[str, list[OutMessage]] = field(default_factory=dict)
    action_reply: ActionReply = field(default_factory=lambda: ActionReply(toast="ok"))
    fail_on: set[str] = field(default_factory=set)
    commands: list[ChatCommand] = field(default_factory=list)
    actions: list[ChatAction] = field(default_factory=list)
    migrations: list[tuple[ChatRef, ChatRef]] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=dict)  # chat id -> its language (default en)
    menus: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {
            "ru": [("help", "Справка"), ("who", "Кто на связи")],
            "en": [("help", "Help"), ("who", "Who is online")],
        }
    )

    async def handle_command(self, cmd: ChatCommand) -> list[OutMessage]:
        self.commands.append(cmd)
        if cmd.name in self.fail_on:
            raise RuntimeError(f"boom in /{cmd.name}")
        return self.replies.get(cmd.name, [OutMessage.plain(f"ok {cmd.name}")])

    async def handle_action(self, action: ChatAction) -> ActionReply:
        self.actions.append(action)
        if action.action in self.fail_on:
            raise RuntimeError(f"boom in {action.action}")
        return self.action_reply

    async def handle_migration(self, old: ChatRef, new: ChatRef) -> None:
        self.migrations.append((old, new))

    def menu(self, language: str) -> list[tuple[str, str]]:
        return self.menus.get(language, self.menus["en"])

    async def language(self, chat: ChatRef) -> str:
        return self.languages.get(chat.chat_id, "en")
