"""What people type into settings and the shell for the PBX and the chats: the PBX's host name,
platform user ids and chat ids.

Strategy: each function takes the typed text and returns the clean value or raises ValueError
with a sentence that shows the expected form, so ``.env``, ``admin`` and ``setup`` refuse the
same mistakes with the same words.
"""

from __future__ import annotations

import ipaddress
import re

PLATFORMS = ("telegram", "slack", "console")
DOMAIN_EXAMPLE = "mycompany.onpbx.ru"
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEMES = ("https://", "http://", "wss://", "ws://")
TELEGRAM_USER = re.compile(r"^[1-9][0-9]{0,19}$")
TELEGRAM_CHAT = re.compile(r"^-?[1-9][0-9]{0,19}$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]{1,31}$")
SLACK_CHAT = re.compile(r"^[CDG][A-Z0-9]{1,31}$")
HOW_TO_FIND_TELEGRAM = "send /start to the bot in a private chat: it answers with your id"
HOW_TO_FIND_SLACK = 'in Slack: your profile → ⋮ → "Copy member ID"'


def pbx_domain(raw: str) -> str:
    """The PBX's host name: ``https://MyCompany.onpbx.ru/`` -> ``mycompany.onpbx.ru``. Any host
    name (or IP address) the PBX answers on is accepted; a port, path or blank inside is not."""
    text = raw.strip()
    lowered = text.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            text = text[len(scheme):]
            break
    host = text.rstrip("/").rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        host = "\x00"  # not encodable: refused below
    if host and (_is_ip(host) or all(_LABEL.match(label) for label in host.split("."))):
        return host
    raise ValueError(
        f"{_shown(raw)} is not a host name: give the PBX's domain as in its panel, without "
        f"https://, port or path (e.g. {DOMAIN_EXAMPLE}); a different address goes in ONPBX_URL"
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _shown(raw: str) -> str:
    text = raw.strip().replace("\n", " ")
    return repr(text if len(text) <= 60 else text[:59] + "…")


def user_id(platform: str, ident: str) -> str:
    """A person's id on ``platform`` as the bot sees it (what BOT_ADMINS and ``admin grant`` take)."""
    ident = ident.strip()
    if platform == "telegram" and not TELEGRAM_USER.match(ident):
        what = "a @username" if ident.startswith("@") else _shown(ident)
        raise ValueError(
            f"telegram:{ident} is {what}, not a Telegram user id: Telegram ids are numbers "
            f"(e.g. telegram:123456789); to find yours, {HOW_TO_FIND_TELEGRAM}"
        )
    if platform == "slack" and not SLACK_USER.match(ident):
        raise ValueError(
            f"slack:{ident} is not a Slack member id: they look like U0ABC123 (e.g. slack:U0ABC123); "
            f"to find yours, {HOW_TO_FIND_SLACK}, or send /pbx start to the app in a DM"
        )
    if platform not in PLATFORMS or not ident:
        raise ValueError(f"{_shown(platform + ':' + ident)} is not platform:user_id "
                         "(e.g. telegram:123456789)")
    return ident


def chat_id(platform: str, ident: str) -> str:
    """A chat's id on ``platform`` (``admin bind``): Telegram chats are numbers (groups negative)."""
    ident = ident.strip()
    if platform == "telegram" and not TELEGRAM_CHAT.match(ident):
        raise ValueError(
            f"telegram:{ident} is not a Telegram chat id: they are numbers, negative for groups "
            "(e.g. telegram:-1001234567890); the bot learns a group when someone types /bind there"
        )
    if platform == "slack" and not SLACK_CHAT.match(ident):
        raise ValueError(f"slack:{ident} is not a Slack channel id: they look like C0ABC123 "
                         "(e.g. slack:C0ABC123)")
    if platform not in PLATFORMS or not ident:
        raise ValueError(f"{_shown(platform + ':' + ident)} is not platform:chat_id "
                         "(e.g. telegram:-1001234567890)")
    return ident
