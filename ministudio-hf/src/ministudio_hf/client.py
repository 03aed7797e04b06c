"""huggingface_hub plumbing: an injectable HTTP transport and error classification.

``huggingface_hub`` 2.x sends every request through one process-wide ``httpx2.Client``
(``get_session()``), including the calls its provider helpers make on their own (the Hub's
provider mapping lookup, fal.ai queue polling, downloading the finished video). The only
supported way to change that client is ``huggingface_hub.set_client_factory``. To use a test
transport without affecting other threads, :func:`injected_transport` installs (once) a client
whose transport routes each request to the transport bound to the *current thread*, and to a
normal ``httpx2.HTTPTransport`` otherwise. The sync ``InferenceClient`` does all its I/O in
the calling thread, so a binding made around the call covers every request it makes.

:func:`classify` turns whatever the SDK raised into the :mod:`ministudio.errors` class core's
retry policy understands. Messages are built from the status code and the server's own error
text; the token is never part of them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
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

__all__ = ["classify", "injected_transport"]

_local = threading.local()
_install_lock = threading.Lock()
_installed = False

_REJECTION_WORDS = ("nsfw", "safety", "content policy", "moderation", "inappropriate", "flagged")


def _install_router() -> None:
    """Make huggingface_hub's shared client route requests through the thread's transport."""
    global _installed
    with _install_lock:
        if _installed:
            return
        import httpx2
        from huggingface_hub import set_client_factory

        try:
            from huggingface_hub.utils._http import hf_request_event_hook
        except ImportError:  # pragma: no cover - older layouts
            hf_request_event_hook = None

        class _RoutingTransport(httpx2.BaseTransport):
            def __init__(self) -> None:
                self._default: Any = None

            def handle_request(self, request: Any) -> Any:
                bound = getattr(_local, "transport", None)
                if bound is not None:
                    return bound.handle_request(request)
                if self._default is None:
                    self._default = httpx2.HTTPTransport()
                return self._default.handle_request(request)

            def close(self) -> None:
                if self._default is not None:
                    self._default.close()

        def request_hook(request: Any) -> Any:
            # keep the Hub's own hook (request ids, offline mode) for real network calls
            if getattr(_local, "transport", None) is None and hf_request_event_hook is not None:
                return hf_request_event_hook(request)
            return None

        router = _RoutingTransport()
        set_client_factory(
            lambda: httpx2.Client(
                transport=router,
                event_hooks={"request": [request_hook]},
                follow_redirects=True,
                timeout=None,
            )
        )
        _installed = True


@contextmanager
def injected_transport(transport: Any) -> Iterator[None]:
    """Send this thread's huggingface_hub requests to ``transport`` (an ``httpx2`` transport).

    ``None`` (production) changes nothing.
    """
    if transport is None:
        yield
        return
    if not hasattr(transport, "handle_request") or type(transport).__module__.split(".")[0] != "httpx2":
        raise TypeError(
            "the hf provider needs an httpx2 transport (huggingface_hub 2.x is built on httpx2), "
            f"got {type(transport).__module__}.{type(transport).__name__}"
        )
    _install_router()
    previous = getattr(_local, "transport", None)
    _local.transport = transport
    try:
        yield
    finally:
        _local.transport = previous


# -- error classification --------------------------------------------------------------------


def _server_message(response: Any) -> str:
    """The error text the server sent (JSON ``error``/``detail``/``message``, else the body)."""
    try:
        data = response.json()
    except Exception:  # noqa: BLE001 - not JSON, or the body was not read
        data = None
    text = ""
    if isinstance(data, dict):
        for key in ("error", "detail", "message"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail") or str(value)
            if isinstance(value, list):
                value = "; ".join(str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in value)
            if value:
                text = str(value)
                break
    if not text:
        try:
            text = response.text
        except Exception:  # noqa: BLE001
            text = ""
    text = " ".join(text.split())
    return text[:300] + ("…" if len(text) > 300 else "")


def _retry_after(response: Any) -> float | None:
    return retry_after(response.headers)


def _estimated_time(response: Any) -> float | None:
    try:
        data = response.json()
    except Exception:  # noqa: BLE001
        return None
    value = data.get("estimated_time") if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "****") if secret else text


def classify(
    exc: BaseException, *, where: str, model: str, token: str | None = None
) -> ProviderError:
    """The :class:`ProviderError` subclass for an exception raised by ``InferenceClient``.

    ``where`` names the route for the message (``fal-ai: Wan-AI/Wan2.2-T2V-A14B``).
    """
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

    kw: dict[str, Any] = {"provider": "hf", "model": model}
    settings_hint = (
        f"change the route in settings: [providers.hf.models.\"{model}\".text_to_video] "
        "(or image_to_video) repo = ... / provider = ..."
    )

    if isinstance(exc, HfHubHTTPError) and getattr(exc, "response", None) is not None:
        response = exc.response
        status = response.status_code
        detail = _scrub(_server_message(response), token)
        suffix = f": {detail}" if detail else ""
        kw["status_code"] = status
        if status == 401:
            return AuthenticationError(
                f"hf ({where}): the token was rejected (HTTP 401){suffix}",
                hint="set HF_TOKEN to a Hugging Face token with the 'Make calls to Inference "
                "Providers' permission",
                **kw,
            )
        if status == 403:
            return AuthenticationError(
                f"hf ({where}): access denied (HTTP 403){suffix}",
                hint="the token lacks the Inference Providers permission, or the model is gated: "
                "accept its terms on huggingface.co",
                **kw,
            )
        if status == 402:
            return PaymentRequiredError(
                f"hf ({where}): payment required (HTTP 402): the account has no credit left "
                f"for Inference Providers{suffix}",
                hint="add credit or a PRO plan at https://huggingface.co/settings/billing, bill an "
                "organization with [providers.hf] bill_to, or use the provider's own API key",
                **kw,
            )
        if status == 429:
            return RateLimitedError(
                f"hf ({where}): rate limited (HTTP 429){suffix}",
                retry_after=_retry_after(response),
                **kw,
            )
        if status == 503 and (_estimated_time(response) is not None or "loading" in detail.lower()):
            eta = _estimated_time(response)
            return ProviderUnavailableError(
                f"hf ({where}): the model is loading (cold start)"
                + (f", ready in about {eta:.0f}s" if eta is not None else "")
                + suffix,
                **kw,
            )
        if status >= 500:
            return ProviderUnavailableError(f"hf ({where}): server error (HTTP {status}){suffix}", **kw)
        if status == 404:
            return ProviderError(
                f"hf ({where}): not found (HTTP 404){suffix}", hint=settings_hint, **kw
            )
        if status in (400, 422) and any(w in detail.lower() for w in _REJECTION_WORDS):
            return ContentRejectedError(
                f"hf ({where}): the request was refused by a content filter (HTTP {status}){suffix}",
                **kw,
            )
        return ProviderError(f"hf ({where}): request failed (HTTP {status}){suffix}", **kw)

    message = _scrub(" ".join(str(exc).split()), token)[:300]
    if isinstance(exc, InferenceTimeoutError | httpx2.TimeoutException):
        return ProviderUnavailableError(f"hf ({where}): timed out: {message}", **kw)
    if isinstance(exc, httpx2.TransportError):
        return ProviderUnavailableError(
            f"hf ({where}): network error: {type(exc).__name__}: {message}", **kw
        )
    if isinstance(exc, TimeoutError):  # replicate: no output within its wait window (cold model)
        return ProviderUnavailableError(f"hf ({where}): {message}", **kw)
    if isinstance(exc, ValueError):
        lowered = message.lower()
        if "api_key" in lowered or "log in" in lowered:
            return AuthenticationError(
                f"hf ({where}): no Hugging Face token found",
                hint="set HF_TOKEN (https://huggingface.co/settings/tokens), or run `hf auth login`",
                **kw,
            )
        if "not supported" in lowered or "provider mapping" in lowered:
            return ProviderError(f"hf ({where}): {message}", hint=settings_hint, **kw)
        return JobFailedError(f"hf ({where}): unexpected answer from the provider: {message}", **kw)
    if isinstance(exc, KeyError | TypeError):
        return JobFailedError(
            f"hf ({where}): unexpected answer from the provider (missing {message})", **kw
        )
    if isinstance(exc, RuntimeError):
        return JobFailedError(f"hf ({where}): {message}", **kw)
    return ProviderError(f"hf ({where}): {type(exc).__name__}: {message}", **kw)
