"""What core hands to every operation hook alongside the request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from ministudio.log import get_logger

__all__ = ["CallContext"]

DEFAULT_TIMEOUT_S = 60.0


def _noop_report(_job_id: str) -> None:
    return None


@attrs.frozen(kw_only=True)
class CallContext:
    """Per-call environment for a hook implementation.

    - ``settings``: this provider's merged settings (``[providers.NAME]``), secrets excluded.
    - ``env``: environment variables (including a project ``.env``); read credentials here.
    - ``workdir``: an existing folder for outputs; core moves results to their final place.
    - ``transport``: an HTTP transport to use instead of the network (tests inject
      ``httpx.MockTransport`` / ``httpx2.MockTransport``); ``None`` in production.
    - ``report_job(job_id)``: call it as soon as a paid long-running job exists, before waiting.
    - ``resume_job_id``: a job this shot already paid for (an earlier try or render that timed
      out, lost the connection, got a bad download or crashed): re-attach, never submit.
    - ``timeout_s``: the limit for *one HTTP request* (``[providers.NAME] http_timeout_s``,
      default 60 s). Not the limit of the whole call.
    - ``call_timeout_s`` / ``deadline``: the limit of the *whole call* (``[providers.NAME]
      timeout_s``; defaults: clip 1800 s, speech 300 s, anchor-frame 120 s, identity 300 s)
      and the ``time.monotonic()`` value it ends at. Core cancels the call then; a job
      provider should stop waiting a little before (raise
      :class:`~ministudio.errors.JobPendingError`; :mod:`ministudio.jobs` does it for you).
      ``remaining_s()`` is the time left, ``cancelled`` is set when core gave up on the call
      (a plain function running in a worker thread should check it between polls).
    - ``log``: a structlog logger bound to the shot and provider. Never log secrets.
    """

    workdir: Path = attrs.field(converter=Path)
    settings: Mapping[str, Any] = attrs.field(
        factory=dict, converter=lambda v: MappingProxyType(dict(v))
    )
    env: Mapping[str, str] = attrs.field(factory=dict, converter=lambda v: MappingProxyType(dict(v)))
    transport: Any = None
    report_job: Callable[[str], None] = _noop_report
    resume_job_id: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    call_timeout_s: float | None = None
    deadline: float | None = None
    cancelled: threading.Event = attrs.field(factory=threading.Event)
    log: Any = attrs.field(factory=lambda: get_logger("ministudio.provider"))

    def remaining_s(self) -> float | None:
        """Seconds left before core cancels this call (``None``: no deadline)."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()

    def http_client(self, **kwargs: Any) -> Any:
        """An ``httpx.AsyncClient`` with explicit timeouts and the injected transport, if any."""
        import httpx

        kwargs.setdefault("timeout", httpx.Timeout(self.timeout_s, connect=10.0))
        if self.transport is not None:
            kwargs.setdefault("transport", self.transport)
        return httpx.AsyncClient(**kwargs)

    def secret(self, *names: str) -> str | None:
        """The first of ``names`` set in the environment, or ``None``."""
        for name in names:
            value = self.env.get(name)
            if value:
                return value
        return None
