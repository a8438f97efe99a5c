"""Settings, read once at the edge from the environment and ``.env`` into a typed object.

Names are fixed by the product (see ``.env.example``). Secrets are ``SecretStr``: their repr is
``**********`` and nothing in the project logs ``get_secret_value()``.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.dsn import dsn_passwords
from bot.errors import ConfigError

EVENT_GROUPS = ("calls", "blf", "messages", "callback", "api", "registration")
PLATFORMS = ("telegram", "slack", "console")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

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
    telegram_webhook_port: int = 8443
    telegram_webhook_secret: SecretStr = SecretStr("")

    # Slack
    slack_bot_token: SecretStr = SecretStr("")
    slack_app_token: SecretStr = SecretStr("")
    slack_signing_secret: SecretStr = SecretStr("")
    slack_http_port: int | None = None
    slack_api_url: str = ""

    # Bot
    bot_db: str = "./onpbx-bot.sqlite3"  # a SQLite file, or a postgresql:// URL (bot/dsn.py)
    bot_admins: str = ""
    bot_language: Literal["ru", "en"] = "ru"
    bot_timezone: str = "Europe/Moscow"
    bot_country: str = "RU"
    bot_http_port: int | None = None
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

    @field_validator("bot_timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("bot_country")
    @classmethod
    def _check_country(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValueError("BOT_COUNTRY must be a two-letter region code such as RU")
        return value

    @property
    def pbx_base_url(self) -> str:
        return (self.onpbx_url or f"https://{self.onpbx_domain}:8093").rstrip("/")

    @property
    def event_groups(self) -> dict[str, bool]:
        wanted = {g.strip().lower() for g in self.onpbx_events.split(",") if g.strip()}
        unknown = wanted - set(EVENT_GROUPS)
        if unknown:
            raise ConfigError(f"ONPBX_EVENTS: unknown group(s) {', '.join(sorted(unknown))}")
        return {g: g in wanted for g in EVENT_GROUPS}

    @property
    def admins(self) -> frozenset[tuple[str, str]]:
        """``BOT_ADMINS=telegram:123,slack:U0ABC`` as {(platform, user_id)}."""
        out: set[tuple[str, str]] = set()
        for item in self.bot_admins.split(","):
            item = item.strip()
            if not item:
                continue
            platform, sep, user_id = item.partition(":")
            if not sep or platform not in PLATFORMS or not user_id:
                raise ConfigError(f"BOT_ADMINS: {item!r} is not platform:user_id")
            out.add((platform, user_id))
        return frozenset(out)

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


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value becomes a :class:`ConfigError` naming the setting only."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first.get("loc") else "settings"
        raise ConfigError(f"{name}: {first['msg']}") from None
