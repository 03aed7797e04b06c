"""The long-running Veo operation: submit (or re-attach), poll with backoff, classify failures.

Submission is the only paid step. Its failures are raised as the matching
:mod:`ministudio.errors` class (429 -> RateLimitedError, so core may retry). Once an operation
exists its name is handed to ``context.report_job`` before the first poll, and transient
errors *while polling* are absorbed here (retried until the deadline) rather than raised as
retryable, because a core retry would submit, and pay for, a second job.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import attrs
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

__all__ = ["PollPolicy", "classify_api_error", "classify_operation_error", "poll", "submit"]

_SAFETY = re.compile(
    r"safety|usage guidelines|responsible ai|sensitive|prohibited|violat|celebrit|raiMedia",
    re.IGNORECASE,
)
# google.rpc.Code values found in operation errors
_RPC_UNAVAILABLE = {1, 4, 10, 13, 14}  # cancelled, deadline, aborted, internal, unavailable
_RPC_RESOURCE_EXHAUSTED = 8
_RPC_PERMISSION = {7, 16}


@attrs.frozen(kw_only=True)
class PollPolicy:
    """How to wait for an operation: first wait, growth factor, longest wait, overall deadline."""

    initial_s: float = 5.0
    factor: float = 1.5
    max_s: float = 30.0
    deadline_s: float = 1200.0

    @classmethod
    def from_settings(cls, settings: Any) -> PollPolicy:
        return cls(
            initial_s=float(settings.get("poll_initial_s", 5.0)),
            factor=float(settings.get("poll_factor", 1.5)),
            max_s=float(settings.get("poll_max_s", 30.0)),
            deadline_s=float(settings.get("poll_deadline_s", 1200.0)),
        )


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


def poll(
    client: Any,
    operation: Any,
    *,
    model: str,
    policy: PollPolicy,
    log: Any,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Fetch the operation until it is done or the deadline passes."""
    from google.genai import errors

    start = clock()
    wait = policy.initial_s
    polls = 0
    while not operation.done:
        if clock() - start > policy.deadline_s:
            raise JobFailedError(
                f"vertex/{model}: job {operation.name} not done after {policy.deadline_s:g}s",
                provider="vertex", model=model, job_id=operation.name,
                hint="it may still finish: run again to re-attach to it, or raise "
                "[providers.vertex] poll_deadline_s",
            )
        sleep(wait)
        wait = min(wait * policy.factor, policy.max_s)
        polls += 1
        try:
            operation = client.operations.get(operation)
        except errors.APIError as exc:
            err = classify_api_error(exc, model=model, job_id=operation.name)
            if not err.retryable:
                raise err from exc
            log.warning("vertex.poll_retry", job=operation.name, error=type(err).__name__)
        except Exception as exc:
            if not _is_transport(exc):
                raise
            log.warning("vertex.poll_retry", job=operation.name, error=type(exc).__name__)
    log.info("vertex.done", job=operation.name, polls=polls, seconds=round(clock() - start, 1))
    return operation
