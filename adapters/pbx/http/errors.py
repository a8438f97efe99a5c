"""Typed errors of the onlinePBX HTTP API: one class per family of ``errorCode``.

Strategy: :func:`error_for` maps the answer's ``errorCode`` (or the HTTP status) to a class with a
one-line message that names the code and the endpoint, never the key, the session key or a URL.
"""

from __future__ import annotations

from bot.errors import PbxError, PbxUnavailable


class HttpApiError(PbxError):
    """The HTTP API refused a call; ``code`` is its ``errorCode`` ("" when it gave none)."""

    def __init__(self, endpoint: str, code: str, comment: str = "") -> None:
        text = f"PBX HTTP API {endpoint}: {code or 'error'}"
        if comment:
            text += f" ({' '.join(comment.split())[:120]})"
        super().__init__(text)
        self.endpoint, self.code = endpoint, code


class HttpAuthError(HttpApiError):
    """The key was refused (wrong, missing, unverifiable) or the session key expired twice."""


class HttpDomainError(HttpApiError):
    """The domain is unknown or disabled (WRONG_DOMAIN, DISABLED_DOMAIN)."""


class HttpForbiddenIp(HttpApiError):
    """The panel does not allow API calls from this address (FORBIDDEN_IP)."""


class HttpRateLimited(HttpApiError):
    """TOO_MANY_REQUESTS / HTTP 429 persisted through every back-off."""


class HttpValidationError(HttpApiError):
    """The PBX rejected the request's fields (VALIDATION_FAILED, WRONG_GATEWAY)."""


class HttpServerError(HttpApiError):
    """INTERNAL or HTTP 5xx persisted through every retry."""


class HttpUnavailable(PbxUnavailable):
    """The HTTP API could not be reached (connection refused, timeouts) after every retry."""


class HttpBadAnswer(HttpApiError):
    """The answer was not the JSON object the contract describes."""


class HttpRedirected(HttpBadAnswer):
    """The API answered with a redirect (3xx): never followed, it could carry the key elsewhere."""


class HttpTooLarge(HttpBadAnswer):
    """The answer was larger than ``ONPBX_HTTP_MAX_MB``: refused before it was read whole."""


class MalformedRecord(PbxError):
    """One call-history record did not fit the contract; it is skipped and counted."""


_FAMILIES: dict[str, type[HttpApiError]] = {
    "WRONG_AUTH_DATA": HttpAuthError,
    "API_KEY_NOT_SPECIFIED": HttpAuthError,
    "WRONG_API_KEY": HttpAuthError,
    "API_KEY_CHECK_FAILED": HttpAuthError,
    "WRONG_DOMAIN": HttpDomainError,
    "DISABLED_DOMAIN": HttpDomainError,
    "FORBIDDEN_IP": HttpForbiddenIp,
    "TOO_MANY_REQUESTS": HttpRateLimited,
    "VALIDATION_FAILED": HttpValidationError,
    "WRONG_GATEWAY": HttpValidationError,
    "INTERNAL": HttpServerError,
}


def error_for(endpoint: str, code: str, comment: str = "") -> HttpApiError:
    """The typed error for ``errorCode`` ``code`` (unknown codes: :class:`HttpApiError`)."""
    return _FAMILIES.get(code, HttpApiError)(endpoint, code, comment)
