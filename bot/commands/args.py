"""Argument parsing and validation for chat commands.

Every parser returns a clean value or raises :class:`InvalidArgument` with an i18n key, so a
handler reads like the happy path and the service turns the key into a ru/en reply.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import Role
from bot.errors import InvalidArgument
from bot.i18n import register
from bot.text import flat

EXT_RE = re.compile(r"^[0-9]{2,5}$")  # ASCII only: "１２３" never reaches the PBX
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
USER_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SLACK_MENTION_RE = re.compile(r"^<@([A-Z0-9]{2,32})(?:\|[^>]*)?>$")
SIP_TEXT_MAX = 200
BROADCAST_MAX = 1000
SHOWN_MAX = 40  # how much of a bad argument is echoed back

register(
    {
        "args.missing": ("Missing argument. Usage: {usage}", "Не хватает аргумента. Формат: {usage}"),
        "args.bad_ext": ("“{value}” is not an extension (2–5 digits).",
                         "«{value}» — не внутренний номер (2–5 цифр)."),
        "args.unknown_ext": ("Extension {value} is unknown to the PBX.",
                             "Внутренний номер {value} не известен АТС."),
        "args.bad_uuid": ("“{value}” is not a call id (uuid).",
                          "«{value}» — не идентификатор звонка (uuid)."),
        "args.bad_role": ("Unknown role “{value}”: use viewer, operator or admin.",
                          "Неизвестная роль «{value}»: viewer, operator или admin."),
        "args.bad_tz": ("Unknown time zone “{value}” (use Area/City, e.g. Europe/Moscow).",
                        "Неизвестный часовой пояс «{value}» (формат Регион/Город, например Europe/Moscow)."),
        "args.bad_quiet": ("Quiet hours must look like 22:00-08:00 (or “off”).",
                           "Тихие часы задаются так: 22:00-08:00 (или «off»)."),
        "args.bad_onoff": ("Use on or off.", "Укажите on или off."),
        "args.bad_choice": ("“{value}” is not one of: {choices}.", "«{value}» — не из списка: {choices}."),
        "args.too_long": ("Text is too long: {length} characters, at most {limit}.",
                          "Слишком длинный текст: {length} символов, максимум {limit}."),
        "args.bad_user": ("“{value}” is not a user id, @username or mention.",
                          "«{value}» — не id пользователя, @имя или упоминание."),
        "args.unknown_user": ("I have not seen @{value} yet: they should write to the bot first, or use "
                              "their numeric id.",
                              "Я ещё не видел @{value}: пусть сначала напишет боту, "
                              "или укажите числовой id."),
        "args.ambiguous_user": ("@{value} matches {count} people: name the person with a mention "
                                "(type @ and pick them) or by their id.",
                                "@{value} подходит {count} людям: укажите человека упоминанием "
                                "(наберите @ и выберите) или по id."),
        "args.foreign_user": ("{value} is from another organisation (a shared channel): roles are given "
                              "only to members of this workspace.",
                              "{value} из другой организации (общий канал): роли выдаются только "
                              "участникам этого рабочего пространства."),
        "args.too_many": ("Too many arguments. Usage: {usage}", "Слишком много аргументов. Формат: {usage}"),
    }
)


def shown(value: str) -> str:
    """A bad argument as echoed back: single line, bounded."""
    return flat(value, SHOWN_MAX)


def need(args: tuple[str, ...], count: int, usage: str, *, at_most: int | None = None) -> None:
    """At least ``count`` (and at most ``at_most``) arguments."""
    if len(args) < count:
        raise InvalidArgument("args.missing", usage=usage)
    if at_most is not None and len(args) > at_most:
        raise InvalidArgument("args.too_many", usage=usage)


def extension(value: str) -> str:
    value = value.strip()
    if not EXT_RE.match(value):
        raise InvalidArgument("args.bad_ext", value=shown(value))
    return value


def call_uuid(value: str) -> str:
    value = value.strip()
    if not UUID_RE.match(value):
        raise InvalidArgument("args.bad_uuid", value=shown(value))
    return value.lower()


def role(value: str) -> Role:
    parsed = Role.parse(value)
    if parsed is None:
        raise InvalidArgument("args.bad_role", value=shown(value))
    return parsed


def timezone(value: str) -> str:
    value = value.strip()
    if "/" not in value or ".." in value:
        raise InvalidArgument("args.bad_tz", value=shown(value))
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument("args.bad_tz", value=shown(value)) from None
    return value


def quiet_hours(value: str) -> tuple[str, str] | None:
    """``22:00-08:00`` -> ("22:00", "08:00"); ``off`` -> None."""
    value = value.strip()
    if value.lower() in ("off", "выкл"):
        return None
    start, sep, end = value.partition("-")
    if not sep or not HHMM_RE.match(start.strip()) or not HHMM_RE.match(end.strip()):
        raise InvalidArgument("args.bad_quiet")
    if start.strip() == end.strip():
        raise InvalidArgument("args.bad_quiet")
    return start.strip(), end.strip()


def on_off(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("on", "вкл", "yes", "1", "true"):
        return True
    if lowered in ("off", "выкл", "no", "0", "false"):
        return False
    raise InvalidArgument("args.bad_onoff")


def choice(value: str, choices: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in choices:
        raise InvalidArgument("args.bad_choice", value=shown(value), choices=", ".join(choices))
    return lowered


def bounded_text(value: str, limit: int, usage: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidArgument("args.missing", usage=usage)
    if len(text) > limit:
        raise InvalidArgument("args.too_long", length=len(text), limit=limit)
    return text


def rest_after_first(text: str, args: tuple[str, ...]) -> str:
    """The raw text after the first argument (keeps the user's spacing), for /sipmsg."""
    source = text if text.strip() else " ".join(args)
    parts = source.strip().split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def user_handle(value: str) -> tuple[str, str]:
    """("id", USER_ID) for a raw id or Slack mention, ("username", NAME) for ``@name``."""
    value = value.strip()
    mention = SLACK_MENTION_RE.match(value)
    if mention:
        return "id", mention.group(1)
    if value.startswith("@") and USER_ID_RE.match(value[1:]):
        return "username", value[1:]
    if USER_ID_RE.match(value):
        return "id", value
    raise InvalidArgument("args.bad_user", value=shown(value))
