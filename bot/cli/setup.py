"""``onpbx-bot setup``: the PBX's domain and key, a chat platform's tokens, each checked live,
then ``.env`` (mode 0600) and a one-time link that makes whoever opens it the bot's admin.

Strategy: answers come from flags, then the environment (the settings' own names), then, on a
terminal, questions (secrets without echo; a failed check asks again). The PBX is checked over
its HTTP API (``auth.json``) and its socket (the API named, or 3.0 then 2.0, remembered like the
bot's own probe); Telegram with ``getMe``, Slack with ``auth.test``. Only then is the file
written (an existing one only when the person says so, or ``--force``) and the database created
with a pairing code: ``https://t.me/BOT?start=pair-CODE`` for Telegram (``/start pair-CODE``
takes the ``/pair`` path), ``/pbx pair CODE`` in a DM with the Slack app.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.cli import doctor, envfile, pbx_choice
from bot.cli.admin import database_path, open_store
from bot.cli.prompt import Aborted, Answers, Terminal, flag_of
from bot.commands import create_pairing_code
from bot.config import Settings, read_settings
from bot.configcheck import platform_problems
from bot.errors import AuthenticationError, BotError, ConfigError, HandshakeError

SETTINGS = (
    "ONPBX_DOMAIN", "ONPBX_KEY", "ONPBX_URL", "ONPBX_API", "ONPBX_HTTP_URL", "ONPBX_HISTORY",
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "TELEGRAM_WEBHOOK_URL",
    "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_HTTP_PORT", "SLACK_API_URL",
    "BOT_DB", "BOT_ADMINS", "BOT_LANGUAGE", "BOT_TIMEZONE", "BOT_COUNTRY",
)  # fmt: skip
ALIASES = {"ONPBX_DOMAIN": ["--domain"], "ONPBX_KEY": ["--key"]}
PAIR_TTL_NOTE = "within an hour; it works once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``onpbx-bot setup``: one per setting it writes, named after the setting."""
    parser.add_argument("--env-file", default=".env", metavar="PATH", help="where to write (default: ./.env)")
    parser.add_argument("--force", action="store_true", help="replace an existing file without asking")
    parser.add_argument("--platform", choices=["telegram", "slack"], default=None,
                        help="the chat platform (default: the one whose token is given, else asked)")
    for name in SETTINGS:
        parser.add_argument(flag_of(name), *ALIASES.get(name, []), dest=name, default=None, metavar="VALUE",
                            help=f"the {name} setting (default: ${name}, else asked on a terminal)")


def run_setup(args: argparse.Namespace) -> int:
    """0 when ``.env`` was written; 1 when a check failed or nothing may be written; 2 for a bad
    or missing answer without a terminal."""
    tty = sys.stdin is not None and sys.stdin.isatty()
    flags = {name: getattr(args, name) for name in SETTINGS}
    setup = Setup(Answers(SETTINGS, flags), Terminal() if tty else None, Path(args.env_file),
                  force=args.force, platform=args.platform)
    try:
        return asyncio.run(setup.run())
    except (Aborted, KeyboardInterrupt):
        print("\nsetup stopped: nothing written.", file=sys.stderr)
        return 1


class Setup:
    """One run of the questions and checks (see the module docstring)."""

    def __init__(self, answers: Answers, term: Terminal | None, target: Path, *, force: bool = False,
                 platform: str | None = None) -> None:
        self.answers, self.term, self.target = answers, term, target
        self.replace, self.platform = force, platform
        self.probed_api: str | None = None

    def say(self, text: str) -> None:
        print(text, flush=True)

    async def run(self) -> int:
        if not self._may_write():
            return 1
        given = self._all_given() if self.term is None else []
        await self._retrying(self._pbx)
        names = {p: await self._retrying(self._telegram if p == "telegram" else self._slack)
                 for p in given or self._platforms()}
        settings = self._settings()
        envfile.write_private(self.target, envfile.render(self.answers.values), replace=self.replace)
        self.say(f"ok   wrote {self.target.resolve()} (mode 0600)")
        await self._admin_links(settings, names)
        return 0

    def _may_write(self) -> bool:
        if not self.target.exists() or self.replace:
            return True
        if self.term is not None and self.term.yes(f"{self.target} exists. Replace it?"):
            self.replace = True
            return True
        print(f"onpbx-bot: {self.target} exists; nothing written (pass --force to replace it).",
              file=sys.stderr)
        return False

    async def _retrying(self, step: Callable[[], Awaitable[str]]) -> str:
        """Run an async step; on a terminal a failure is shown and the step asks again."""
        while True:
            try:
                return await step()
            except BotError as exc:
                if self.term is None:
                    raise
                for line in str(exc).splitlines():
                    self.term.say(f"FAIL {line}")

    # --- answers ----------------------------------------------------------------------------
    def _ask(self, name: str, question: str, *, optional: bool = False) -> str:
        if self.term is None:
            return self.answers.get(name) if optional else self.answers.need(name, question)
        while True:
            self.answers.set(name, self.term.ask(question, self.answers.get(name)))
            if self.answers.get(name) or optional:
                return self.answers.get(name)

    def _secret(self, name: str, question: str, *, optional: bool = False) -> str:
        if self.term is None:
            return self.answers.get(name) if optional else self.answers.need(name, question)
        while True:
            typed = self.term.secret(question, kept=bool(self.answers.get(name)))
            if typed or (optional and not self.answers.get(name)):
                self.answers.set(name, typed)
            if self.answers.get(name) or optional:
                return self.answers.get(name)

    def _settings(self) -> Settings:
        """The answers as settings (``.env`` of the folder ignored: it is what we write)."""
        given = {name.lower(): value for name, value in self.answers.values.items()}
        settings, problems = read_settings(_env_file=None, **given)
        if problems:
            raise ConfigError("\n".join(problems))
        return settings

    def _all_given(self) -> list[str]:
        """Without a terminal: every missing answer at once, before any check; the platforms."""
        problems = []
        for name, what in (("ONPBX_DOMAIN", "the PBX's domain"), ("ONPBX_KEY", "the PBX's API key")):
            try:
                self.answers.need(name, what)
            except ConfigError as exc:
                problems.append(str(exc))
        try:
            platforms = self._platforms()
        except ConfigError as exc:
            problems.append(str(exc))
        if problems:
            raise ConfigError("\n".join(problems))
        return platforms

    def _platforms(self) -> list[str]:
        if self.platform:
            return [self.platform]
        given = [p for p, token in (("telegram", "TELEGRAM_BOT_TOKEN"), ("slack", "SLACK_BOT_TOKEN"))
                 if self.answers.get(token)]
        if given:
            return given
        if self.term is None:
            raise ConfigError("no chat platform given: set TELEGRAM_BOT_TOKEN (or SLACK_BOT_TOKEN and "
                              "SLACK_APP_TOKEN) in the environment, or pass --telegram-bot-token TOKEN")
        choice = self.term.ask("Chat platform: telegram or slack", "telegram").lower()
        return ["slack" if choice.startswith("s") else "telegram"]

    # --- live checks ------------------------------------------------------------------------
    async def _pbx(self) -> str:
        self._ask("ONPBX_DOMAIN", "PBX domain, as in the panel or any host name the PBX answers on "
                                  "(e.g. mycompany.onpbx.ru)")
        self._secret("ONPBX_KEY", "PBX API key (panel: Integration → API; not shown as you type)")
        settings = self._settings()
        self.answers.set("ONPBX_DOMAIN", settings.onpbx_domain)  # as normalised
        self.say(f"ok   HTTP API: {await doctor.http_api_check(settings)}")
        explicit = pbx_choice.explicit(settings)
        failures = []
        for api in [explicit] if explicit else list(pbx_choice.APIS):
            try:
                text = await doctor.pbx_check(settings, api)
            except AuthenticationError:
                raise
            except BotError as exc:
                failures.append(str(exc))
                continue
            self.probed_api = None if explicit else api
            self.say(f"ok   socket: {text}")
            return api
        raise HandshakeError("no PBX socket answered: " + "; ".join(failures))

    async def _telegram(self) -> str:
        from adapters.telegram import TelegramAdapter

        self._secret("TELEGRAM_BOT_TOKEN", "Telegram bot token from @BotFather (docs/telegram.md)")
        adapter = TelegramAdapter(self._settings(), doctor.NoCore())
        try:
            name, _ = await adapter.identity()
        finally:
            await adapter.stop()
        self.say(f"ok   Telegram: bot @{name}")
        return name

    async def _slack(self) -> str:
        from adapters.slack import SlackAdapter

        self._secret("SLACK_BOT_TOKEN", "Slack Bot User OAuth Token, xoxb-… (docs/slack.md)")
        if not self._secret("SLACK_APP_TOKEN", "Slack app-level token, xapp-… (Socket Mode; Enter for "
                                               "HTTP mode)", optional=True):
            self._secret("SLACK_SIGNING_SECRET", "Slack Signing Secret (HTTP mode)")
            self._ask("SLACK_HTTP_PORT", "Port for POST /slack/events (HTTP mode)", optional=False)
        settings = self._settings()
        problems = platform_problems(settings, console=True)
        if problems:
            raise ConfigError("\n".join(problems))
        adapter = SlackAdapter(settings, doctor.NoCore())
        try:
            text = await adapter.check()
            self.say(f"ok   Slack: {text}; {await adapter.check_app_token()}")
        finally:
            await adapter.stop()
        return text

    # --- the database and the admin's way in -----------------------------------------------
    async def _admin_links(self, settings: Settings, names: dict[str, str]) -> None:
        store = await open_store(settings, create=True)
        try:
            if self.probed_api is not None:
                await store.set_setting(pbx_choice.SETTING_KEY, self.probed_api)
            codes = {p: await create_pairing_code(store, time.time()) for p in names}
        finally:
            await store.close()
        self.say(f"ok   database {database_path(settings)}")
        self.say("\nNext: start the bot (make run, or: onpbx-bot run), then become its admin "
                 f"({PAIR_TTL_NOTE}):")
        if "telegram" in codes:
            self.say(f"  Telegram: open https://t.me/{names['telegram']}?start=pair-{codes['telegram']}")
        if "slack" in codes:
            self.say(f"  Slack: in a DM with the app, type /pbx pair {codes['slack']}")
        self.say("Then add the bot to the group that should get alerts and type /bind EXT there "
                 "(docs/telegram.md, docs/slack.md).")
