"""A kit for providers whose clips are long-running paid jobs (Veo, Kling, Luma, Runway...).

The provider supplies three small functions; the kit owns the loop around them::

    submit(request, context) -> job_id              # the one paid step
    status(job_id, request, context) -> JobStatus   # one poll
    fetch(job_id, status, request, context) -> Path | list[Path]   # download into workdir

:func:`run_clip_job` then does, in order: re-attach to ``context.resume_job_id`` or submit
and call ``context.report_job`` at once; poll with backoff (:class:`JobPolicy`), absorbing
transient errors (:class:`~ministudio.errors.RetryableProviderError`, network errors); stop
waiting with :class:`~ministudio.errors.JobPendingError` before the job's own deadline or the
call's deadline (``context.deadline``), so core re-attaches later instead of paying again;
fetch, retrying transient errors and downloads that are not media (an HTML error page); and
build the :class:`~ministudio.requests.ClipResult` from the file itself.

Each function may be ``async def`` or plain (plain ones run in a worker thread). Errors they
raise are the usual :mod:`ministudio.errors` classes; :func:`run_clip_job` marks the error of
a job that finished in failure with ``job_ended=True``. :func:`download` streams a URL with
the context's HTTP client and refuses bodies that are not video. A sync hook (e.g. one built
on a blocking SDK) calls :func:`run_clip_job_sync`.

Example: ``docs/providers/job-kit.md`` (an async-task HTTP provider in under 100 lines).
"""

from __future__ import annotations

import enum
import inspect
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from ministudio.errors import (
    JobFailedError,
    JobPendingError,
    MediaError,
    ProviderError,
)

if TYPE_CHECKING:  # annotations only: plugin modules import this kit on every CLI start
    from ministudio.context import CallContext
    from ministudio.requests import ClipRequest, ClipResult

__all__ = [
    "JobPolicy",
    "JobState",
    "JobStatus",
    "clip_result",
    "download",
    "run_clip_job",
    "run_clip_job_sync",
]


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _outputs(value: Any) -> tuple[Any, ...]:
    # a Python function, not ``tuple``: attrs reads a converter's signature, and for a builtin
    # that means parsing its text signature with ``tokenize`` (the biggest regex in the
    # standard library, compiled on first use) in every process that imports this kit
    return tuple(value)


@attrs.frozen(kw_only=True)
class JobStatus:
    """One poll's answer. ``outputs`` are whatever ``fetch`` needs (URLs, ids); ``error`` is
    the classified error of a FAILED job; ``detail`` carries the provider's raw answer."""

    state: JobState = attrs.field(converter=JobState)
    outputs: tuple[Any, ...] = attrs.field(default=(), converter=_outputs)
    error: ProviderError | None = None
    progress: float | None = None
    detail: Any = None

    @property
    def done(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED)


@attrs.frozen(kw_only=True)
class JobPolicy:
    """How to wait for a job and bring its result home.

    ``poll_initial_s`` grows by ``poll_factor`` up to ``poll_max_s`` (with 10 % jitter);
    ``deadline_s`` is how long one call waits for a job before it stops waiting (the job goes
    on; core re-attaches); ``max_poll_errors`` transient poll errors in a row also stop the
    wait; ``fetch_attempts`` downloads are tried (``fetch_backoff_s`` doubling) before the
    error goes to core, which re-attaches and fetches again. ``deadline_margin_s``: return
    this long before the call's own deadline.
    """

    poll_initial_s: float = 2.0
    poll_factor: float = 1.5
    poll_max_s: float = 20.0
    deadline_s: float = 1800.0
    max_poll_errors: int = 8
    fetch_attempts: int = 3
    fetch_backoff_s: float = 1.0
    deadline_margin_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], **defaults: Any) -> JobPolicy:
        """Read ``poll_initial_s``, ``poll_factor``, ``poll_max_s``, ``poll_deadline_s``,
        ``max_poll_errors``, ``fetch_attempts``, ``fetch_backoff_s`` from a provider's
        settings, falling back to ``defaults`` and then the class defaults."""
        base = attrs.evolve(cls(), **defaults)
        names = {"poll_initial_s": "poll_initial_s", "poll_factor": "poll_factor",
                 "poll_max_s": "poll_max_s", "poll_deadline_s": "deadline_s",
                 "max_poll_errors": "max_poll_errors", "fetch_attempts": "fetch_attempts",
                 "fetch_backoff_s": "fetch_backoff_s"}
        changes: dict[str, Any] = {}
        for key, field in names.items():
            if key in settings and settings[key] is not None:
                kind = int if field in ("max_poll_errors", "fetch_attempts") else float
                changes[field] = kind(settings[key])
        return attrs.evolve(base, **changes)


Submit = Callable[["ClipRequest", "CallContext"], Any]
Status = Callable[[str, "ClipRequest", "CallContext"], Any]
Fetch = Callable[[str, JobStatus, "ClipRequest", "CallContext"], Any]


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    import asyncio

    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = await asyncio.to_thread(fn, *args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _transient(exc: BaseException) -> bool:
    if getattr(exc, "retryable", False):
        return True
    names = {c.__module__.split(".")[0] + "." + c.__name__ for c in type(exc).__mro__}
    return bool(names & {"httpx.TransportError", "httpx2.TransportError",
                         "httpcore.NetworkError"})


def _pending(provider: str, job_id: str, why: str) -> JobPendingError:
    return JobPendingError(
        f"{provider}: job {job_id} is still running ({why}); it will be re-attached, not "
        "submitted again", provider=provider, job_id=job_id,
    )


async def run_clip_job(
    request: ClipRequest,
    context: CallContext,
    *,
    submit: Submit,
    status: Status,
    fetch: Fetch,
    policy: JobPolicy | None = None,
    cost: Decimal | None = None,
    metadata: Mapping[str, Any] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> ClipResult:
    """Run (or re-attach to) one job and return its validated clip. See the module doc.
    ``sleep`` (default :func:`asyncio.sleep`) waits between polls and fetch tries."""
    # asyncio is imported here, not at the top: plugin modules import this kit, and
    # `ministudio providers list` never runs a job
    import asyncio

    sleep = sleep or asyncio.sleep
    policy = policy or JobPolicy.from_settings(context.settings)
    provider = request.provider
    log = context.log
    if context.resume_job_id:
        job_id = context.resume_job_id
        log.info("job.reattach", job=job_id)
    else:
        job_id = str(await _call(submit, request, context))
        if not job_id:
            raise JobFailedError(f"{provider}: the API returned no job id", provider=provider,
                                 model=request.model)
        context.report_job(job_id)
        log.info("job.submitted", job=job_id)

    final = await _wait(job_id, request, context, status, policy, sleep)
    if final.state is JobState.FAILED:
        err = final.error or JobFailedError(f"{provider}: job {job_id} failed",
                                            provider=provider, model=request.model)
        err.job_id = err.job_id or job_id
        err.job_ended = True
        err.provider = err.provider or provider
        raise err
    paths = await _fetch(job_id, final, request, context, fetch, policy, sleep)
    result = await asyncio.to_thread(
        clip_result, paths[0], request, job_id=job_id, alternates=paths[1:], cost=cost,
        metadata={"job": job_id, **dict(metadata or {})},
    )
    log.info("job.done", job=job_id, width=result.width, height=result.height,
             duration_s=result.duration_s)
    return result


async def _wait(job_id: str, request: ClipRequest, context: CallContext, status: Status,
                policy: JobPolicy, sleep: Callable[[float], Awaitable[None]]) -> JobStatus:
    provider = request.provider
    start = time.monotonic()
    stop_at = start + policy.deadline_s
    if context.deadline is not None:
        margin = policy.deadline_margin_s
        if context.call_timeout_s:
            margin = min(margin, 0.25 * context.call_timeout_s)
        stop_at = min(stop_at, context.deadline - margin)
    wait = policy.poll_initial_s
    errors = 0
    polls = 0
    while True:
        if context.cancelled.is_set():
            raise _pending(provider, job_id, "the call was cancelled")
        try:
            current: JobStatus = await _call(status, job_id, request, context)
            errors = 0
        except BaseException as exc:
            if not _transient(exc):
                if isinstance(exc, ProviderError):
                    exc.job_id = exc.job_id or job_id
                raise
            errors += 1
            context.log.warning("job.poll_retry", job=job_id, error=type(exc).__name__,
                                in_a_row=errors)
            if errors >= policy.max_poll_errors:
                raise _pending(provider, job_id, f"{errors} poll errors in a row") from exc
            current = JobStatus(state=JobState.RUNNING)
        polls += 1
        if current.done:
            context.log.info("job.finished", job=job_id, state=current.state.value,
                             polls=polls, seconds=round(time.monotonic() - start, 1))
            return current
        left = stop_at - time.monotonic()
        if left <= 0:
            raise _pending(provider, job_id,
                           f"not done after {time.monotonic() - start:.0f}s of waiting")
        await sleep(min(min(wait, policy.poll_max_s) * random.uniform(0.9, 1.1), left))
        wait = min(wait * policy.poll_factor, policy.poll_max_s)


async def _fetch(job_id: str, final: JobStatus, request: ClipRequest, context: CallContext,
                 fetch: Fetch, policy: JobPolicy,
                 sleep: Callable[[float], Awaitable[None]]) -> list[Path]:
    from ministudio.media import probe

    last: BaseException | None = None
    import asyncio

    for attempt in range(max(1, policy.fetch_attempts)):
        try:
            got = await _call(fetch, job_id, final, request, context)
            paths = [Path(p) for p in ((got,) if isinstance(got, str | Path) else got)]
            if not paths:
                raise MediaError(f"{request.provider}: job {job_id} delivered no video")
            for path in paths:
                await asyncio.to_thread(probe, path)  # not a video (an HTML page) -> MediaError
            return paths
        except BaseException as exc:
            if not (isinstance(exc, MediaError) or _transient(exc)):
                raise
            last = exc
            context.log.warning("job.fetch_retry", job=job_id, error=type(exc).__name__,
                                attempt=attempt + 1)
            if attempt + 1 < policy.fetch_attempts:
                await sleep(policy.fetch_backoff_s * (2**attempt))
    assert last is not None
    if isinstance(last, ProviderError):
        last.job_id = last.job_id or job_id
        raise last
    raise MediaError(
        f"{request.provider}: job {job_id} finished but its video could not be fetched as a "
        f"playable file after {policy.fetch_attempts} tries: {last}"
    ) from last


def run_clip_job_sync(request: ClipRequest, context: CallContext, **kwargs: Any) -> ClipResult:
    """:func:`run_clip_job` for a plain (sync) ``generate_clip`` hook running in a worker
    thread: runs the loop on its own event loop; sync functions are called in threads."""
    import asyncio

    return asyncio.run(run_clip_job(request, context, **kwargs))


async def download(url: str, dest: Path, context: CallContext, *, provider: str,
                   headers: Mapping[str, str] | None = None) -> Path:
    """Stream ``url`` to ``dest`` with ``context.http_client()`` (mock transport in tests).

    HTTP errors are classified (:func:`ministudio.httperrors.classify`; 5xx and 429 are
    retryable); a body that is not video (``text/html``, JSON) raises :class:`MediaError`.
    The file appears at ``dest`` only when complete. ``headers`` (credentials) are never
    logged.
    """
    from ministudio.httperrors import classify

    dest = Path(dest)
    part = dest.with_name(f".{dest.name}.part")
    async with context.http_client(follow_redirects=True) as http:
        async with http.stream("GET", url, headers=dict(headers or {})) as resp:
            if resp.status_code >= 400:
                body = (await resp.aread())[:300].decode("utf-8", "replace")
                raise classify(resp.status_code, body.strip() or "download failed",
                               provider=provider, headers=resp.headers)
            kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind.startswith("text/") or kind in ("application/json", "application/xml"):
                raise MediaError(f"download of a video returned {kind}, not video bytes")
            with part.open("wb") as fh:
                async for chunk in resp.aiter_bytes(1 << 20):
                    fh.write(chunk)
    part.replace(dest)
    return dest


def clip_result(path: Path, request: ClipRequest, *, job_id: str | None = None,
                alternates: Sequence[Path] = (), cost: Decimal | None = None,
                metadata: Mapping[str, Any] | None = None) -> ClipResult:
    """A :class:`ClipResult` measured from the file itself (``MediaError`` if it is not a
    playable video). Any provider can use it to build its result."""
    from ministudio.media import probe
    from ministudio.requests import ClipResult

    info = probe(path)
    if not info.has_video:
        raise MediaError(f"{request.provider}: {Path(path).name} holds no video stream")
    return ClipResult(
        path=path, provider=request.provider, model=request.model,
        duration_s=round(float(info.duration_s or 0.0), 3), width=int(info.width or 0),
        height=int(info.height or 0), fps=float(info.fps or request.fps),
        has_audio=bool(info.has_audio), seed=request.seed, job_id=job_id,
        cost=cost, alternates=tuple(Path(p) for p in alternates), metadata=metadata or {},
    )
