"""The long-running Veo operation's calls: submit, one poll, and error classification.

Submission is the only paid step. Its failures are raised as the matching
:mod:`ministudio.errors` class (429 -> RateLimitedError, so core may retry). The loop around
these calls (report the job, poll with backoff, absorb transient poll errors, stop waiting
before the deadline, fetch) is core's job kit, :mod:`ministudio.jobs`.
"""

from __future__ import annotations

import re
from typing import Any

from ministudio.errors import (
    AuthenticationError,
    ContentRejectedError,
    JobFailedError,
    PaymentRequiredError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.httperrors import retry_after

__all__ = ["classify_api_error", "classify_operation_error", "fetch_operation", "submit"]

_SAFETY = re.compile(
    r"safety|usage guidelines|responsible ai|sensitive|prohibited|violat|celebrit|raiMedia",
    re.IGNORECASE,
)
# google.rpc.Code values found in operation errors
_RPC_UNAVAILABLE = {1, 4, 10, 13, 14}  # cancelled, deadline, aborted, internal, unavailable
_RPC_RESOURCE_EXHAUSTED = 8
_RPC_PERMISSION = {7, 16}


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return retry_after(headers) if hasattr(headers, "get") else None


def classify_api_error(exc: Any, *, model: str, job_id: str | None = None) -> ProviderError:
    """A google-genai ``APIError`` as the MiniStudio error that says what to do about it."""
    code = int(getattr(exc, "code", 0) or 0)
    status = str(getattr(exc, "status", "") or "")
    message = str(getattr(exc, "message", "") or "").strip() or status or "no message"
    what = f"vertex/{model}: {code} {status}: {message}".replace("  ", " ")
    kw: dict[str, Any] = {"provider": "vertex", "model": model, "job_id": job_id, "status_code": code}
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return RateLimitedError(
            what, retry_after=_retry_after(exc),
            hint="Veo allows about 10 requests per minute per project; lower render.concurrency "
            "or ask for more quota", **kw,
        )
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        if "billing" in message.lower():
            return PaymentRequiredError(what, hint="enable billing on the Google Cloud project", **kw)
        return AuthenticationError(
            what, hint="check the credentials, the project, and that the Vertex AI API is enabled "
            "and your account has roles/aiplatform.user", **kw,
        )
    if code == 400 and _SAFETY.search(message):
        return ContentRejectedError(what, **kw)
    if code == 404:
        return ProviderError(
            what, hint=f"is {model} offered in this location? set [providers.vertex] location", **kw
        )
    if code in (408, 499) or code >= 500:
        return ProviderUnavailableError(what, **kw)
    return ProviderError(what, **kw)


def classify_operation_error(error: Any, *, model: str, job_id: str) -> ProviderError:
    """An operation that finished with ``error`` {code, message}."""
    error = error or {}
    code = int(error.get("code", 0) or 0)
    message = str(error.get("message", "") or "no message")
    what = f"vertex/{model}: job {job_id} failed (code {code}): {message}"
    kw: dict[str, Any] = {"provider": "vertex", "model": model, "job_id": job_id}
    if _SAFETY.search(message):
        return ContentRejectedError(what, **kw)
    if code == _RPC_RESOURCE_EXHAUSTED:
        return RateLimitedError(what, **kw)
    if code in _RPC_UNAVAILABLE:
        return ProviderUnavailableError(what, **kw)
    if code in _RPC_PERMISSION:
        return AuthenticationError(what, **kw)
    return JobFailedError(what, **kw)


def _is_transport(exc: BaseException) -> bool:
    names = {c.__module__.split(".")[0] + "." + c.__name__ for c in type(exc).__mro__}
    return bool(names & {"httpx.TransportError", "httpx2.TransportError"})


def submit(client: Any, *, model: str, source: Any, config: Any) -> Any:
    """Start the job; raise the classified error when Vertex refuses it."""
    from google.genai import errors

    try:
        return client.models.generate_videos(model=model, source=source, config=config)
    except errors.APIError as exc:
        raise classify_api_error(exc, model=model) from exc
    except Exception as exc:
        if _is_transport(exc):
            raise ProviderUnavailableError(
                f"vertex/{model}: network error while submitting: {type(exc).__name__}",
                provider="vertex", model=model,
            ) from exc
        raise


def fetch_operation(client: Any, job_id: str, *, model: str) -> Any:
    """One poll of the operation ``job_id``; API errors are raised classified (transient ones
    are retryable, and core's job kit absorbs them while the job runs)."""
    from google.genai import errors, types

    try:
        return client.operations.get(types.GenerateVideosOperation(name=job_id))
    except errors.APIError as exc:
        if int(getattr(exc, "code", 0) or 0) == 404:
            raise JobFailedError(
                f"vertex/{model}: job {job_id} is unknown or expired", provider="vertex",
                model=model, job_id=job_id) from exc
        raise classify_api_error(exc, model=model, job_id=job_id) from exc
    except Exception as exc:
        if _is_transport(exc):
            raise ProviderUnavailableError(
                f"vertex/{model}: network error while polling: {type(exc).__name__}",
                provider="vertex", model=model, job_id=job_id) from exc
        raise
