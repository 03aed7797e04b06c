"""Helpers for providers that speak HTTP: turn a failed response into the core error tree.

``classify(status, message, provider=...)`` picks the :mod:`ministudio.errors` class for a
status (402/billing -> payment, 401/403 -> authentication, 429 -> rate limited with
``retry_after``, 408/409/5xx -> unavailable, safety wording -> content rejected); providers
with richer error bodies check their own cases first and fall back to it.
``retry_after(headers)`` reads ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``.
Core decides about retries; providers only classify.
"""

from __future__ import annotations

from collections.abc import Mapping

from ministudio.errors import (
    AuthenticationError,
    ContentRejectedError,
    PaymentRequiredError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)

__all__ = ["classify", "retry_after"]


def retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        ms = headers.get("retry-after-ms")
        return float(ms) / 1000 if ms and ms.replace(".", "", 1).isdigit() else None
    try:
        return max(0.0, float(value))
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime  # an HTTP date: rare, and email is slow

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def classify(
    status: int, message: str, *, provider: str, model: str | None = None,
    headers: Mapping[str, str] | None = None, code: str = "",
) -> ProviderError:
    """The error to raise for an HTTP ``status`` (``code`` is the API's own error code)."""
    msg = f"{provider}: HTTP {status}: {message}".rstrip(": ")
    low = f"{message} {code}".lower()
    kw = {"provider": provider, "model": model, "status_code": status}
    if status == 402 or "billing" in low or "insufficient_quota" in low:
        return PaymentRequiredError(msg, hint="check the account's billing and credit", **kw)
    if status in (401, 403):
        return AuthenticationError(msg, hint=f"check the credentials for {provider}", **kw)
    if status == 429:
        return RateLimitedError(msg, retry_after=retry_after(headers or {}), **kw)
    if status in (408, 409) or status >= 500:
        return ProviderUnavailableError(msg, **kw)
    if "safety" in low or "policy" in low or "moderation" in low:
        return ContentRejectedError(msg, **kw)
    return ProviderError(msg, **kw)
