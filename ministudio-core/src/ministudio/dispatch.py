"""Calling providers: capability checks, routing, async/sync bridging, timeouts and retries.

:class:`Dispatcher` is the one place core calls operation hooks. For each call it

1. resolves the provider (and model) and checks the request against the declared
   capabilities (:class:`CapabilityError` before any I/O);
2. calls only the owning plugin (``generate_clip``/``synthesize_speech``), or the first-result
   chain / the pinned implementation (``extract_anchor_frame``/``score_identity``);
3. awaits ``async def`` hookimpls and runs plain ones in a worker thread;
4. bounds the call with a timeout, turns unexpected exceptions into :class:`ProviderError`,
   and retries exactly the errors whose ``retryable`` is true, honouring ``retry_after``.

Two timeouts, never confused: ``[providers.NAME] timeout_s`` bounds the *whole call*
(``CallContext.call_timeout_s`` and ``CallContext.deadline``); ``http_timeout_s`` bounds one
HTTP request (``CallContext.timeout_s``). A whole-call timeout after the provider reported a
job becomes :class:`JobPendingError` for that job: the job is paid for and still running, so
the next try re-attaches to it.
"""

from __future__ import annotations

import asyncio
import inspect
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import tenacity

from ministudio.capabilities import Operation
from ministudio.capcheck import check_clip_request, check_speech_request
from ministudio.context import CallContext
from ministudio.errors import (
    JobPendingError,
    MinistudioError,
    ProviderError,
    ProviderNotFoundError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.log import get_logger
from ministudio.plugins import PluginManager
from ministudio.requests import (
    AnchorFrame,
    AnchorFrameRequest,
    ClipRequest,
    ClipResult,
    DraftRequest,
    DraftResult,
    IdentityRequest,
    IdentityScore,
    SpeechRequest,
    SpeechResult,
)

__all__ = ["Dispatcher", "RetryPolicy", "call_hook"]

log = get_logger(__name__)
T = TypeVar("T")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How core retries retryable provider errors (exponential backoff with jitter)."""

    attempts: int = 4
    initial_s: float = 2.0
    max_wait_s: float = 60.0
    #: never wait longer than this for a provider's ``retry_after``
    max_retry_after_s: float = 300.0

    def wait(self, state: tenacity.RetryCallState) -> float:
        """Seconds before the next try: the provider's ``retry_after`` when it gave one,
        else exponential backoff with jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after_s)
        return float(
            tenacity.wait_exponential_jitter(initial=self.initial_s, max=self.max_wait_s)(state)
        )

    def retrying(
        self,
        retryable: Callable[[BaseException], bool] = lambda e: getattr(e, "retryable", False),
        before_sleep: Callable[[tenacity.RetryCallState], None] | None = None,
    ) -> tenacity.AsyncRetrying:
        """A tenacity loop that retries exactly the ``retryable`` errors under this policy."""
        return tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(max(1, self.attempts)),
            wait=self.wait,
            retry=tenacity.retry_if_exception(retryable),
            before_sleep=before_sleep,
            reraise=True,
        )


async def call_hook(caller: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a pluggy hook caller: sync impls run in a thread, async impls are awaited."""
    result = await asyncio.to_thread(caller, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


class Dispatcher:
    """Routes operation requests to providers. One per render (or per CLI command)."""

    def __init__(
        self,
        manager: PluginManager,
        *,
        provider_settings: Mapping[str, Mapping[str, Any]] | None = None,
        env: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        pins: Mapping[str, str] | None = None,
        transport: Any = None,
        timeouts: Mapping[str, float] | None = None,
    ) -> None:
        self.manager = manager
        self.provider_settings = dict(provider_settings or {})
        self.env = dict(manager.env if env is None else env)
        self.retry = retry or RetryPolicy()
        #: operation value -> provider name, e.g. {"identity": "face"}
        self.pins = dict(pins or {})
        self.transport = transport
        self.timeouts = {"clip": 1800.0, "speech": 300.0, "anchor-frame": 120.0, "identity": 300.0,
                         "draft": 300.0}
        self.timeouts.update(timeouts or {})

    @classmethod
    def from_settings(cls, manager: PluginManager, settings: Any, **kwargs: Any) -> Dispatcher:
        """A dispatcher configured from :class:`~ministudio.config.Settings`: provider tables,
        environment, retry attempts and pinned implementations (``identity.scorer``,
        ``media.anchor_frame``)."""
        pins = {
            op: name
            for op, name in (
                ("identity", settings.get("identity.scorer")),
                ("anchor-frame", settings.get("media.anchor_frame")),
            )
            if name
        }
        kwargs.setdefault("retry", RetryPolicy(attempts=int(settings.get("render.attempts") or 4)))
        return cls(manager, provider_settings=settings.provider_settings(), env=settings.env,
                   pins=pins, **kwargs)

    # -- public operations ---------------------------------------------------------------

    async def generate_clip(
        self,
        request: ClipRequest,
        *,
        workdir: Path | None = None,
        report_job: Callable[[str], None] | None = None,
        resume_job_id: str | None = None,
    ) -> ClipResult:
        spec = self.manager.get_provider(request.provider, Operation.CLIP)
        model = spec.clip_model(request.model)
        check_clip_request(request, model)
        caller = self.manager.caller_for("generate_clip", spec.name, Operation.CLIP)
        ctx = self._context(spec.name, workdir, request.shot_id, model=model.id,
                            report_job=report_job, resume_job_id=resume_job_id)
        result = await self._run(caller, Operation.CLIP, spec.name, ctx, request=request)
        return _expect(result, ClipResult, spec.name)

    async def synthesize_speech(
        self, request: SpeechRequest, *, workdir: Path | None = None
    ) -> SpeechResult:
        spec = self.manager.get_provider(request.provider, Operation.SPEECH)
        model = spec.speech_model(request.model)
        check_speech_request(request, model)
        if request.model is None:
            request = attrs.evolve(request, model=model.id)
        caller = self.manager.caller_for("synthesize_speech", spec.name, Operation.SPEECH)
        ctx = self._context(spec.name, workdir, request.shot_id, model=model.id)
        result = await self._run(caller, Operation.SPEECH, spec.name, ctx, request=request)
        return _expect(result, SpeechResult, spec.name)

    async def draft_film(self, request: DraftRequest, *, workdir: Path | None = None) -> DraftResult:
        """Route one drafting round to the plugin that registered ``request.provider``."""
        spec = self.manager.get_provider(request.provider, Operation.DRAFT)
        model = spec.draft_model(request.model)
        if request.model is None:
            request = attrs.evolve(request, model=model.id)
        caller = self.manager.caller_for("draft_film", spec.name, Operation.DRAFT)
        ctx = self._context(spec.name, workdir, None, model=model.id)
        result = await self._run(caller, Operation.DRAFT, spec.name, ctx, request=request)
        return _expect(result, DraftResult, spec.name)

    async def extract_anchor_frame(
        self, request: AnchorFrameRequest, *, provider: str | None = None
    ) -> AnchorFrame:
        result = await self._first_result(
            "extract_anchor_frame", Operation.ANCHOR_FRAME, provider, request, request.output_dir
        )
        return _expect(result, AnchorFrame, provider or "anchor-frame")

    async def score_identity(
        self, request: IdentityRequest, *, provider: str | None = None,
        workdir: Path | None = None,
    ) -> IdentityScore:
        result = await self._first_result(
            "score_identity", Operation.IDENTITY, provider, request, workdir
        )
        return _expect(result, IdentityScore, provider or "identity")

    # -- machinery -----------------------------------------------------------------------

    def _context(
        self, provider: str, workdir: Path | None, shot_id: str | None, **kwargs: Any
    ) -> CallContext:
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix=f"ministudio-{provider}-"))
        workdir.mkdir(parents=True, exist_ok=True)
        settings = dict(self.provider_settings.get(provider, {}))
        bound = log.bind(provider=provider, shot=shot_id, **({"model": kwargs.pop("model")} if "model" in kwargs else {}))
        extra = {k: v for k, v in kwargs.items() if v is not None}
        return CallContext(
            workdir=workdir,
            settings=settings,
            env=self.env,
            transport=self.transport,
            log=bound,
            timeout_s=float(settings.get("http_timeout_s", 60.0)),
            **extra,
        )

    async def _first_result(
        self,
        hook: str,
        operation: Operation,
        provider: str | None,
        request: Any,
        workdir: Path | None,
    ) -> Any:
        provider = provider or self.pins.get(operation.value)
        if provider is not None:
            caller = self.manager.caller_for(hook, provider, operation)
            name = provider
        else:
            caller = self.manager.first_result_caller(hook)
            if not caller.get_hookimpls():
                raise ProviderNotFoundError(
                    f"no installed plugin implements {operation.value}",
                    hint="install ministudio-core's defaults or a plugin that offers it",
                )
            name = operation.value
        ctx = self._context(name, workdir, getattr(request, "shot_id", None))
        return await self._run(caller, operation, name, ctx, request=request)

    async def _run(
        self, caller: Any, operation: Operation, provider: str, ctx: CallContext, **kwargs: Any
    ) -> Any:
        timeout = float(
            self.provider_settings.get(provider, {}).get("timeout_s", self.timeouts[operation.value])
        )
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            ctx.log.warning(
                "provider.retry",
                operation=operation.value,
                attempt=state.attempt_number,
                error=type(exc).__name__,
                reason=str(exc),
            )

        async for attempt in self.retry.retrying(before_sleep=before_sleep):
            with attempt:
                return await self._once(caller, operation, provider, ctx, timeout, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        caller: Any,
        operation: Operation,
        provider: str,
        ctx: CallContext,
        timeout: float,
        **kwargs: Any,
    ) -> Any:
        reported: list[str] = []
        outer_report = ctx.report_job

        def report_job(job_id: str) -> None:
            reported.append(job_id)
            outer_report(job_id)

        ctx = attrs.evolve(ctx, call_timeout_s=timeout, deadline=time.monotonic() + timeout,
                           report_job=report_job, cancelled=threading.Event())
        try:
            result = await asyncio.wait_for(call_hook(caller, context=ctx, **kwargs), timeout)
        except MinistudioError as exc:
            if isinstance(exc, ProviderError) and exc.provider is None:
                exc.provider = provider
            if isinstance(exc, ProviderError) and exc.job_id is None and reported:
                exc.job_id = reported[-1]
            raise
        except TimeoutError as exc:
            ctx.cancelled.set()
            job = reported[-1] if reported else ctx.resume_job_id
            if job is not None:
                raise JobPendingError(
                    f"{provider}: job {job} not finished within the call limit of {timeout:g}s; "
                    "it keeps running and will be re-attached",
                    provider=provider, job_id=job,
                    hint=f"raise [providers.{provider}] timeout_s to wait longer in one call",
                ) from exc
            raise ProviderUnavailableError(
                f"{provider} did not finish {operation.value} within {timeout:g}s",
                provider=provider,
            ) from exc
        except Exception as exc:  # noqa: BLE001 - a plugin bug must not look like our crash
            job = reported[-1] if reported else ctx.resume_job_id
            if _is_transport_error(exc):
                raise ProviderUnavailableError(
                    f"{provider}: network error: {type(exc).__name__}: {exc}", provider=provider,
                    job_id=job,
                ) from exc
            raise ProviderError(
                f"{provider} failed during {operation.value}: {type(exc).__name__}: {exc}",
                provider=provider, job_id=job,
            ) from exc
        if result is None:
            raise ProviderError(
                f"{provider} returned nothing for {operation.value}", provider=provider
            )
        return result


def _is_transport_error(exc: BaseException) -> bool:
    names = {c.__module__.split(".")[0] + "." + c.__name__ for c in type(exc).__mro__}
    return bool(names & {"httpx.TransportError", "httpx2.TransportError", "httpcore.NetworkError"})


def _expect(result: Any, cls: type[T], provider: str) -> T:
    if not isinstance(result, cls):
        raise ProviderError(
            f"{provider} returned {type(result).__name__}, expected {cls.__name__}",
            provider=provider,
        )
    return result
