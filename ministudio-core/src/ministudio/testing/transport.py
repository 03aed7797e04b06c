"""A mock HTTP transport that records every request (httpx or httpx2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["RecordingTransport"]


class RecordingTransport:
    """Wraps a handler ``request -> response`` and keeps the requests it saw.

    ``.requests`` is the list of every request received, in order (``httpx.Request`` /
    ``httpx2.Request`` objects: ``.method``, ``.url``, ``.headers``, ``.content``);
    ``.calls`` is its length; ``.handler`` may be replaced between calls.
    ``.httpx()`` / ``.httpx2()`` build the matching ``MockTransport``; providers built on SDKs
    that use ``httpx2`` (google-genai 3, openai 3, huggingface_hub 2) need the latter.
    """

    def __init__(self, handler: Callable[[Any], Any] | None = None) -> None:
        self.handler = handler
        self.requests: list[Any] = []

    def __call__(self, request: Any) -> Any:
        self.requests.append(request)
        if self.handler is None:
            raise AssertionError(f"unexpected HTTP request: {request.method} {request.url}")
        return self.handler(request)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def httpx(self) -> Any:
        import httpx

        return httpx.MockTransport(self)

    def httpx2(self) -> Any:
        import httpx2  # type: ignore[import-not-found]

        return httpx2.MockTransport(self)
