"""What is wrong with the settings, said so a person can fix it: one line per problem, naming
the setting and showing a valid value (``BOT_TIMEZONE: unknown time zone 'Mars' (e.g. Europe/Moscow)``).

Strategy: :func:`value_problem` words pydantic's errors (never echoing a secret's value);
:func:`missing` adds what a command needs on top of valid values: the PBX's domain and key, and
a chat platform configured completely (or ``--console``).
"""

from __future__ import annotations

from typing import Any

from bot.config import Settings

#: a valid value of each setting, shown with its error
EXAMPLES: dict[str, str] = {
    "onpbx_domain": "mycompany.onpbx.ru", "onpbx_key": "the key from the panel: Integration → API",
    "onpbx_url": "https://mycompany.onpbx.ru:8093 or wss://mycompany.onpbx.ru:3342",
    "onpbx_api": "auto", "onpbx_events": "calls,blf,registration", "onpbx_command_timeout": "10",
    "onpbx_max_frame": "1048576", "onpbx_http_url": "https://api2.onlinepbx.ru", "onpbx_history": "on",
    "telegram_bot_token": "123456789:AAE… from @BotFather", "telegram_api_url": "http://127.0.0.1:8081",
    "telegram_webhook_url": "https://bot.example.com/telegram", "telegram_webhook_port": "8443",
    "slack_bot_token": "xoxb-…", "slack_app_token": "xapp-…",
    "slack_signing_secret": "the app's Signing Secret",
    "slack_http_port": "3000", "slack_api_url": "https://slack.com/api/",
    "bot_db": "./onpbx-bot.sqlite3", "bot_admins": "telegram:123456789,slack:U0ABC123", "bot_language": "ru",
    "bot_timezone": "Europe/Moscow", "bot_country": "RU", "bot_http_port": "9100", "bot_log_format": "text",
    "bot_log_level": "INFO", "bot_reg_grace_s": "30", "bot_flap_window_s": "300", "bot_flap_changes": "3",
    "bot_call_ttl_s": "14400", "bot_dial_per_minute": "5", "bot_retention_days": "30",
    "bot_backfill_max_h": "24", "bot_resolve_window_h": "24", "bot_failover_s": "10",
}  # fmt: skip
SECRET_FIELDS = frozenset(n for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation))
_KIND = {
    "int_parsing": "is not a whole number", "int_from_float": "is not a whole number",
    "float_parsing": "is not a number", "literal_error": "is not one of the choices",
}  # fmt: skip
PLATFORM_HINT = ("set TELEGRAM_BOT_TOKEN (docs/telegram.md) or SLACK_BOT_TOKEN with SLACK_APP_TOKEN "
                 "(docs/slack.md), or let `onpbx-bot setup` ask for them; `onpbx-bot run --console` "
                 "runs without a chat platform")


def example(field: str) -> str:
    return f"(e.g. {EXAMPLES[field]})" if field in EXAMPLES else ""


def value_problem(err: Any) -> str:
    """One pydantic error as ``NAME: what is wrong (e.g. VALID)``."""
    field = str(err["loc"][0]) if err.get("loc") else ""
    kind, raw = str(err.get("type", "")), err.get("input")
    if kind == "value_error":
        what = str(err.get("msg", "")).removeprefix("Value error, ")
    elif kind in _KIND and field not in SECRET_FIELDS and isinstance(raw, str):
        what = f"{_shown(raw)} {_KIND[kind]}"
        if kind == "literal_error":
            what += ": " + str(err.get("msg", "")).removeprefix("Input should be ")
    else:
        what = str(err.get("msg", "invalid value"))
        if field not in SECRET_FIELDS and isinstance(raw, str):
            what = f"{_shown(raw)}: {what[:1].lower()}{what[1:]}"
    hint = "" if "e.g." in what else example(field)
    return " ".join(filter(None, [f"{field.upper() or 'settings'}: {what}", hint]))


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 60 else raw[:59] + "…")


def missing_pbx(settings: Settings) -> list[str]:
    """ONPBX_DOMAIN and ONPBX_KEY, each when not set."""
    out = []
    if not settings.onpbx_domain:
        out.append(f"ONPBX_DOMAIN is not set {example('onpbx_domain')}")
    if not settings.onpbx_key.get_secret_value():
        out.append(f"ONPBX_KEY is not set {example('onpbx_key')}")
    return out


def _set(value: object) -> bool:
    secret = getattr(value, "get_secret_value", None)
    return bool(secret() if callable(secret) else value)


def platform_problems(settings: Settings, *, console: bool = False) -> list[str]:
    """A half-configured platform, each missing part named; no platform at all unless ``console``."""
    s, out = settings, []
    tg, bot, app, signing = (_set(s.telegram_bot_token), _set(s.slack_bot_token), _set(s.slack_app_token),
                             _set(s.slack_signing_secret))
    if not tg and (s.telegram_webhook_url or _set(s.telegram_webhook_secret)):
        out.append("TELEGRAM_WEBHOOK_URL/SECRET are set but TELEGRAM_BOT_TOKEN is not "
                   + example("telegram_bot_token"))
    if bot and not app and not (signing and s.slack_http_port is not None):
        if signing:
            out.append(f"SLACK_SIGNING_SECRET is set but SLACK_HTTP_PORT is not {example('slack_http_port')}"
                       ": HTTP mode needs both (or set SLACK_APP_TOKEN for Socket Mode)")
        else:
            out.append("SLACK_BOT_TOKEN is set but Slack also needs SLACK_APP_TOKEN (Socket Mode, "
                       "e.g. xapp-…) or SLACK_SIGNING_SECRET with SLACK_HTTP_PORT (HTTP mode, e.g. 3000); "
                       "see docs/slack.md")
    if not bot and (app or signing or s.slack_http_port is not None):
        parts = [n for n, v in (("SLACK_APP_TOKEN", app), ("SLACK_SIGNING_SECRET", signing),
                                ("SLACK_HTTP_PORT", s.slack_http_port is not None)) if v]
        verb = "is" if len(parts) == 1 else "are"
        needs = f"SLACK_BOT_TOKEN is not {example('slack_bot_token')}"
        out.append(f"{' and '.join(parts)} {verb} set but {needs}")
    if not out and not tg and not bot and not console:
        out.append(f"no chat platform configured: {PLATFORM_HINT}")
    return out


def missing(settings: Settings, *, console: bool = False, said: list[str] | None = None) -> list[str]:
    """What ``run`` and ``doctor`` need besides valid values, one line each; a setting whose bad
    value is among ``said`` already is not called "not set" too."""
    named = {line.split(":", 1)[0] for line in said or []}
    more = missing_pbx(settings) + platform_problems(settings, console=console)
    return [line for line in more if line.split(" ", 1)[0] not in named]
