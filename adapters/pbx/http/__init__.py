"""The onlinePBX HTTP API (``api2.onlinepbx.ru``): call history, users, trunks, click-to-call."""

from adapters.pbx.http.client import DEFAULT_URL, HttpPbx
from adapters.pbx.http.errors import HttpApiError, HttpAuthError, HttpUnavailable

__all__ = ["DEFAULT_URL", "HttpApiError", "HttpAuthError", "HttpPbx", "HttpUnavailable"]
