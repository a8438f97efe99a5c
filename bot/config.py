"""Settings, read once at the edge from the environment and ``.env`` into a typed object.

Names are fixed by the product (see ``.env.example``). Secrets are ``SecretStr``: their repr is
``**********`` and nothing in the project logs ``get_secret_value()``. An empty value (``NAME=``,
as ``.env.example``, systemd's ``EnvironmentFile`` and ``docker --env-file`` pass it) means "not
set"; every bad value is reported at once by :func:`read_settings` (see :mod:`bot.configcheck`).
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot import ids
from bot.dsn import dsn_passwords
from bot.errors import ConfigError

EVENT_GROUPS = ("calls", "blf", "messages", "callback", "api", "registration")
PLATFORMS = ids.PLATFORMS
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
Port = Field(None, ge=0, le=65535)  # 0: any free port (tests)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False,
                                      env_ignore_empty=True)

    # PBX
    onpbx_domain: str = ""
    onpbx_key: SecretStr = SecretStr("")
    onpbx_url: str = ""  # default https://DOMAIN:8093 (2.0) or wss://DOMAIN:3342 (3.0)
    onpbx_api: Literal["2", "3", "auto"] = "auto"  # which WebSockets API (see bot/cli/pbx_choice.py)
    onpbx_events: str = "calls,blf,registration"
    onpbx_command_timeout: float = Field(10.0, gt=0)
    onpbx_max_frame: int = Field(1 << 20, gt=0)
    onpbx_http_url: str = "https://api2.onlinepbx.ru"  # HTTP API: {url}/{domain}/...
    onpbx_history: Literal["on", "off"] = "on"  # settle gaps from the call history
    onpbx_http_max_mb: float = Field(16.0, gt=0)  # an HTTP API answer larger than this is refused

    # Telegram
    telegram_bot_token: SecretStr = SecretStr("")
    telegram_api_url: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_port: int = Field(8443, ge=0, le=65535)
    telegram_webhook_secret: SecretStr = SecretStr("")

    # Slack
    slack_bot_token: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_http_port: int | None = Port
    slack_api_url: str = ""

    # Bot
    bot_db: str = "./onpbx-bot.sqlite3"  # a SQLite file, or a postgresql:// URL (bot/dsn.py)
    bot_admins: str = ""
    bot_language: Literal["ru", "en"] = "ru"
    bot_timezone: str = "Europe/Moscow"
    bot_country: str = "RU"
    bot_http_port: int | None = Port
    bot_log_format: Literal["text", "json"] = "text"
    bot_log_level: str = "INFO"
    bot_reg_grace_s: float = Field(30.0, ge=0, le=30)
    bot_flap_window_s: float = Field(300.0, ge=0)
    bot_flap_changes: int = Field(3, ge=2)  # changes inside the window that count as flapping
    bot_call_ttl_s: float = Field(4 * 3600.0, gt=0)
    bot_dial_per_minute: int = Field(5, ge=1)
    bot_heavy_per_minute: int = Field(6, ge=1)  # /report, /history, /missed per person and minute
    bot_retention_days: float = Field(30.0, gt=0)  # delivered outbox, stale calls, audit
    bot_backfill_max_h: float = Field(24.0, gt=0)  # older backfilled missed calls: one digest
    bot_resolve_window_h: float = Field(24.0, gt=0)  # a missed call resolves within this many hours
    bot_failover_s: float = Field(10.0, gt=0)  # PostgreSQL: a standby takes over within this

    @model_validator(mode="before")
    @classmethod
    def _blank_is_unset(cls, data: Any) -> Any:
        """``NAME=`` or ``NAME=   `` is "not set": the default applies (``env_ignore_empty`` only
        knows the empty string)."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("onpbx_domain")
    @classmethod
    def _check_domain(cls, value: str) -> str:
        return ids.pbx_domain(value) if value.strip() else ""

    @field_validator("bot_timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value.strip()

    @field_validator("bot_country")
    @classmethod
    def _check_country(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValueError(f"{value!r} is not a two-letter region code")
        return value

    @field_validator("bot_log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("onpbx_events")
    @classmethod
    def _check_events(cls, value: str) -> str:
        unknown = _groups(value) - set(EVENT_GROUPS)
        if unknown:
            known = ", ".join(EVENT_GROUPS)
            raise ValueError(f"unknown group(s) {', '.join(sorted(unknown))}; known: {known}")
        return value

    @field_validator("bot_admins")
    @classmethod
    def _check_admins(cls, value: str) -> str:
        _admin_set(value)
        return value

    @field_validator("onpbx_url", "onpbx_http_url", "telegram_api_url", "telegram_webhook_url",
                     "slack_api_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip()
        schemes = ("http://", "https://", "ws://", "wss://")
        if value and (not value.lower().startswith(schemes) or not value.split("://", 1)[1].strip("/")):
            raise ValueError(f"{value!r} is not a URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_url(cls, value: str) -> str:
        if value and (not value.lower().startswith(("http://", "https://")) or not value.endswith("/api/")):
            raise ValueError(f"{value!r} must be an http(s) URL ending in /api/")
        return value

    @property
    def pbx_base_url(self) -> str:
        return (self.onpbx_url or f"https://{self.onpbx_domain}:8093").rstrip("/")

    @property
    def event_groups(self) -> dict[str, bool]:
        wanted = _groups(self.onpbx_events)
        unknown = wanted - set(EVENT_GROUPS)
        if unknown:
            raise ConfigError(f"ONPBX_EVENTS: unknown group(s) {', '.join(sorted(unknown))}")
        return {g: g in wanted for g in EVENT_GROUPS}

    @property
    def admins(self) -> frozenset[tuple[str, str]]:
        """``BOT_ADMINS=telegram:123,slack:U0ABC`` as {(platform, user_id)}."""
        try:
            return _admin_set(self.bot_admins)
        except ValueError as exc:
            raise ConfigError(f"BOT_ADMINS: {exc}") from None

    def secrets(self) -> list[str]:
        """Every configured secret value, for log redaction and tests that grep output."""
        fields = (
            self.onpbx_key,
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_app_token,
            self.slack_signing_secret,
        )
        return [s.get_secret_value() for s in fields if s.get_secret_value()] + dsn_passwords(self.bot_db)

    def require_pbx(self) -> None:
        """A one-line error naming the first missing PBX setting."""
        if not self.onpbx_domain:
            raise ConfigError("ONPBX_DOMAIN is not set")
        if not self.onpbx_key.get_secret_value():
            raise ConfigError("ONPBX_KEY is not set")


def _groups(value: str) -> set[str]:
    return {g.strip().lower() for g in value.split(",") if g.strip()}


def _admin_set(value: str) -> frozenset[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        platform, sep, user_id = item.partition(":")
        if not sep or platform not in PLATFORMS or not user_id:
            raise ValueError(f"{item!r} is not platform:user_id (e.g. telegram:123456789,slack:U0ABC123)")
        out.add((platform, ids.user_id(platform, user_id)))
    return frozenset(out)


def read_settings(**overrides: object) -> tuple[Settings, list[str]]:
    """Settings and every bad value's problem (one line each, naming the setting and showing a
    valid value). A bad setting falls back to its default, so the rest can still be checked."""
    from bot.configcheck import value_problem

    try:
        return Settings(**overrides), []  # type: ignore[arg-type]
    except ValidationError as exc:
        errors = exc.errors()
    problems = [value_problem(err) for err in errors]
    bad = {str(err["loc"][0]) for err in errors if err.get("loc")}
    fields = Settings.model_fields
    defaults = {name: fields[name].get_default() for name in bad if name in fields}
    try:
        return Settings(**{**overrides, **defaults}), problems
    except ValidationError:  # not expected: every default is valid
        return Settings(_env_file=None), problems  # type: ignore[call-arg]


def load_settings(**overrides: object) -> Settings:
    """Read settings; bad values become one :class:`ConfigError` listing them all, a line each."""
    settings, problems = read_settings(**overrides)
    if problems:
        raise ConfigError("\n".join(problems))
    return settings
