"""One production's paid work: speech lines and shots, with cache, ledger, budget and retries.

Each provider call is one *attempt* in the ledger. Retries are this module's own loop
(tenacity, retryable errors only, honouring ``retry_after``); the dispatcher is built with a
single try so nothing is retried twice and every try is recorded and counted.

The identity gate: after a clip is generated, validated and its anchor frame extracted, each
character present is scored against their reference portraits. Below the threshold, and while
the gate's attempts and the budget allow, the shot is generated again with a new seed (and
more of that character's references where the model takes them); the best attempt is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ministudio.capabilities import Operation, ReferenceRole
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.engine import heap
from ministudio.engine.budget import Budget
from ministudio.engine.errors import BudgetExceededError, ShotError, ShotFailure
from ministudio.engine.keys import clip_key, speech_key
from ministudio.engine.ledger import Ledger
from ministudio.engine.progress import Emit
from ministudio.engine.scheduler import Limits
from ministudio.engine.store import MediaStore
from ministudio.errors import (
    AuthenticationError,
    MediaError,
    MinistudioError,
    PaymentRequiredError,
    ProviderNotFoundError,
)
from ministudio.log import get_logger
from ministudio.pricing import effective_pricing
from ministudio.requests import (
    AnchorFrameRequest,
    ClipRequest,
    IdentityRequest,
    ReferenceImage,
    SpeechRequest,
    WordTiming,
)

__all__ = ["Production", "ShotOutcome", "SpeechOutcome", "shoot_all"]

log = get_logger(__name__)
T = TypeVar("T")

#: errors after which no further paid work is started in this render
FATAL = (BudgetExceededError, AuthenticationError, PaymentRequiredError)


@attrs.frozen(kw_only=True)
class SpeechOutcome:
    shot_id: str
    kind: str
    speaker: str | None
    text: str
    wav: Path
    media: str
    duration_s: float
    words: tuple[WordTiming, ...]
    provider: str
    voice: str | None
    cached: bool
    cost: Decimal


@attrs.frozen(kw_only=True)
class ShotOutcome:
    """The clip chosen for a shot, where it is stored, and what it took."""

    id: str
    request: ClipRequest
    cache_key: str
    clip: Path
    clip_media: str
    anchor: Path | None
    anchor_media: str | None
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    seed: int | None
    cached: bool
    #: character id -> {"score", "threshold", "passed", "kind", "scorer", "note"}
    scores: Mapping[str, Any] = attrs.field(factory=dict)
    cost: Decimal = Decimal(0)
    variants: int = 1
    note: str = ""
    #: character id -> the stored image of the face crops its score used (``crop_media``
    #: in ``scores``), for the report
    crops: Mapping[str, Path] = attrs.field(factory=dict)
    #: the ledger attempt that delivered this clip (set where known), and whether it is the
    #: take the user picked (:mod:`ministudio.engine.picks`)
    take: int | None = None
    picked: bool = False


#: a finished job whose delivery fails validation this many times has ended as a job (one
#: re-fetch, then a new job: bytes damaged at the provider would come back the same)
MAX_INVALID_DELIVERIES = 2
#: a stored clip that a later stage cannot read is evicted and generated again, this often
MEDIA_ROUNDS = 2


def _builtin_anchor(dispatcher: Any) -> bool:
    """Whether anchor frames come from core's built-in ``last-frame`` implementation (no
    plugin overrides it and no other one is pinned), so validation can find them too."""
    pin = dispatcher.pins.get("anchor-frame")
    if pin not in (None, "last-frame"):
        return False
    if pin == "last-frame":
        return True
    try:
        impls = dispatcher.manager.first_result_caller("extract_anchor_frame").get_hookimpls()
    except Exception:  # noqa: BLE001 - a manager without the hook: use the normal path
        return False
    return bool(impls) and all(
        getattr(i.plugin, "__name__", "") == "ministudio.builtin" for i in impls)


def _bad_media(exc: ShotError) -> bool:
    return exc.failure.stage == "anchor-frame" and exc.failure.error_type == "MediaError"


def _retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False)) or isinstance(exc, MediaError)


def _job_note(exc: BaseException, unresumable: list[str]) -> str:
    """What the user should know about a paid job when its shot fails."""
    if unresumable:
        return (f" (job {unresumable[-1]} was paid for but this provider cannot re-attach to "
                "it, so it was not submitted again)")
    job = getattr(exc, "job_id", None)
    if job and not getattr(exc, "job_ended", False):
        return f" (job {job} may still deliver: the next render re-attaches to it)"
    return ""


class Production:
    """Everything one render shares: ledger, store, dispatcher, limits, budget, progress."""

    def __init__(
        self, *, ledger: Ledger, store: MediaStore, dispatcher: Dispatcher, limits: Limits,
        budget: Budget, production_id: int, settings: Any, emit: Emit, workdir: Path,
        retry: RetryPolicy, force: frozenset[str] = frozenset(), pricing: Mapping[str, Any] | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.dispatcher = dispatcher
        self.limits = limits
        self.budget = budget
        self.production_id = production_id
        self.settings = settings
        self.emit = emit
        self.workdir = Path(workdir)
        self.retry = retry
        self.force = force
        self.pricing = dict(pricing or {})
        self.provider_calls = 0
        self.stopping: BaseException | None = None
        #: stored clip -> its anchor frame, found in the same decode pass that validated it
        self._anchors: dict[str, Path] = {}
        self._one_pass = _builtin_anchor(dispatcher)
        #: shot id -> its first delivered clip's anchor frame, for the shot continuing it, set
        #: before that clip's full validation (see :func:`shoot_all`)
        self._tentative: dict[str, asyncio.Future[Path]] = {}
        #: decodes, anchor frames and identity scoring in worker threads: as many at once as
        #: provider calls (``--concurrency``), which bounds their memory
        self._media_slots = asyncio.Semaphore(max(1, limits.concurrency))

    def early_anchor(self, plan: Any) -> bool:
        """Whether the shot continuing ``plan`` may be requested from ``plan``'s anchor frame
        before ``plan`` is validated and stored: not when an identity gate could still
        replace its take (``identity.max_attempts`` > 1 and characters with references), nor
        when ``render.early_chain`` is off."""
        if not self.settings.get("render.early_chain", True):
            return False
        gated = any(c.references for c in getattr(plan, "characters", ()))
        return not (gated and int(self.settings.get("identity.max_attempts", 3) or 1) > 1)

    async def _anchor_of(self, clip: Path) -> Path:
        """The anchor frame of a delivered clip (its end decoded only), by the anchor hook."""
        adir = self.workdir / "anchors"
        adir.mkdir(parents=True, exist_ok=True)
        async with self._media_slots:
            frame = await self.dispatcher.extract_anchor_frame(AnchorFrameRequest(
                clip=clip, output_dir=Path(tempfile.mkdtemp(dir=adir))))
        return Path(frame.path)

    # -- generic attempt loop ------------------------------------------------------------

    async def _with_retries(self, fn: Callable[[int], Awaitable[T]],
                            retryable: Callable[[BaseException], bool] = None) -> T:  # type: ignore[assignment]
        retrying = self.retry.retrying(retryable or _retryable)
        async for attempt in retrying:
            with attempt:
                if self.stopping is not None:
                    raise self.stopping
                return await fn(attempt.retry_state.attempt_number)
        raise AssertionError("unreachable")  # pragma: no cover

    def _settle_job(self, job_id: str, provider: str, model: Any, exc: BaseException,
                    unresumable: list[str]) -> None:
        """After a failed try on a job: close the job if the error says it ended; otherwise
        it stays open, and every later try or render re-attaches to it."""
        if isinstance(exc, asyncio.CancelledError):
            return  # the render stops; the job stays open for the next one
        if getattr(exc, "job_ended", False):
            self.ledger.finish_job(job_id, provider, "failed", error=exc)
        elif not model.resumable:
            unresumable.append(job_id)
            log.warning("job.not_resumable", provider=provider, job=job_id,
                        error=type(exc).__name__)

    async def _validate(self, path: Path, expected_duration_s: float) -> Path | None:
        """Validate a clip (every frame decoded); with core's own anchor-frame
        implementation in use, find the anchor frame in the same decode pass and return it."""
        if not self._one_pass:
            async with self._media_slots:
                await _validate_clip(path, expected_duration_s)
            return None
        from ministudio.media import validate_and_anchor

        out = Path(tempfile.mkdtemp(dir=self.workdir, prefix="anchor-"))
        window = float(self.dispatcher.provider_settings.get("last-frame", {}).get(
            "search_window_s", 0.5))
        async with self._media_slots:
            _info, frame = await asyncio.to_thread(
                validate_and_anchor, path, out, expected_duration_s=expected_duration_s,
                search_window_s=window)
        return Path(frame.path)

    def _evict(self, key: str, shot: str, exc: ShotError) -> None:
        """Drop a cached clip a later stage could not read, so it is generated again."""
        self.ledger.cache_delete(key)
        log.warning("cache.evicted", shot=shot, stage=exc.failure.stage,
                    reason=exc.failure.reason)
        self.emit({"event": "shot", "shot": shot, "state": "regenerating",
                   "reason": f"stored clip unusable at {exc.failure.stage}: "
                             f"{exc.failure.reason}"})

    def _stop_if_fatal(self, exc: BaseException) -> None:
        if isinstance(exc, FATAL) and self.stopping is None:
            self.stopping = exc

    # -- speech --------------------------------------------------------------------------

    async def speak(self, shot_id: str, line: Any) -> SpeechOutcome:
        request: SpeechRequest = attrs.evolve(line.request, shot_id=shot_id)
        spec = self.dispatcher.manager.get_provider(request.provider, Operation.SPEECH)
        model = spec.speech_model(request.model)
        if request.model is None:
            request = attrs.evolve(request, model=model.id)
        key = speech_key(request)
        hit = None if shot_id in self.force else self.ledger.cache_get(key)
        if hit and self.store.has(hit["media"]):
            meta = hit["meta"]
            self.emit({"event": "speech", "shot": shot_id, "state": "cached"})
            return self._speech_outcome(shot_id, line, request, hit["media"], meta, True, Decimal(0))
        pricing = effective_pricing(spec.name, model.id, model.pricing, self.pricing)
        estimate = pricing.estimate(chars=len(request.text), seconds=0) if pricing else Decimal(0)

        async def once(n: int) -> SpeechOutcome:
            reserved = self.budget.reserve(estimate, shot=shot_id, what="speech")
            aid = self.ledger.start_attempt(
                self.production_id, shot_id, "speech", cache_key=key, provider=spec.name,
                model=model.id,
            )
            tmp = Path(tempfile.mkdtemp(dir=self.workdir, prefix="speech-"))
            try:
                async with self.limits.slot(spec.name, model.id,
                                            max_concurrency=model.max_concurrency,
                                            requests_per_minute=model.requests_per_minute):
                    self.provider_calls += 1
                    result = await self.dispatcher.synthesize_speech(request, workdir=tmp)
                if not result.path.is_file() or result.path.stat().st_size == 0:
                    raise MediaError(f"{spec.name} returned an empty speech file")
                cost = result.cost if result.cost is not None else estimate
                media = self.store.put(result.path)
            except BaseException as exc:
                self.ledger.finish_attempt(aid, "failed", cost=Decimal(0), error=exc)
                self.budget.settle(reserved, Decimal(0))
                self.emit({"event": "attempt", "shot": shot_id, "stage": "speech",
                           "provider": spec.name, "status": "failed", "attempt": n,
                           "error": f"{type(exc).__name__}: {exc}"})
                raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self.ledger.finish_attempt(aid, "ok", cost=cost, media=media)
            self.budget.settle(reserved, cost)
            self.emit({"event": "attempt", "shot": shot_id, "stage": "speech",
                       "provider": spec.name, "status": "ok", "attempt": n, "cost": str(cost)})
            meta = {
                "duration_s": result.duration_s, "sample_rate": result.sample_rate,
                "timing_source": result.timing_source, "voice": result.voice,
                "words": [attrs.asdict(w) for w in result.words],
            }
            self.ledger.cache_put(key, "speech", media, meta, provider=spec.name, model=model.id)
            return self._speech_outcome(shot_id, line, request, media, meta, False, cost)

        self.emit({"event": "speech", "shot": shot_id, "state": "synthesizing"})
        try:
            return await self._with_retries(once)
        except MinistudioError as exc:
            self._stop_if_fatal(exc)
            raise ShotError(ShotFailure(
                shot=shot_id, provider=spec.name, stage="speech", reason=str(exc),
                error_type=type(exc).__name__,
            )) from exc

    def _speech_outcome(self, shot_id: str, line: Any, request: SpeechRequest, media: str,
                        meta: Mapping[str, Any], cached: bool, cost: Decimal) -> SpeechOutcome:
        return SpeechOutcome(
            shot_id=shot_id, kind=line.kind, speaker=line.speaker, text=line.text,
            wav=self.store.path(media), media=media, duration_s=float(meta["duration_s"]),
            words=tuple(WordTiming(**w) for w in meta.get("words", ())),
            provider=request.provider, voice=meta.get("voice") or request.voice,
            cached=cached, cost=cost,
        )

    # -- shots ---------------------------------------------------------------------------

    async def shoot(self, plan: Any, anchor: Path | None,
                    before_done: Callable[[], Awaitable[None]] | None = None) -> ShotOutcome:
        """Produce one shot: cache, generate (with retries), validate, anchor, identity gate.
        ``before_done`` is awaited before the shot is recorded as done (a shot started from
        a predecessor's unconfirmed anchor waits there for the predecessor; it raises when
        the shot must not be kept)."""
        shot = plan.id
        request: ClipRequest = attrs.evolve(plan.request, shot_id=shot)
        if anchor is not None:
            request = attrs.evolve(request, first_frame=anchor)
        spec = self.dispatcher.manager.get_provider(request.provider, Operation.CLIP)
        model = spec.clip_model(request.model)
        base_key = clip_key(request)
        forced = bool({shot, getattr(plan, "key", None), getattr(plan, "shot_id", None)}
                      & self.force)
        from ministudio.engine.picks import loose_key, picked_outcome

        if forced:  # made again: a pick of an earlier take no longer holds
            self.ledger.clear_pick(shot)
        else:
            picked = await picked_outcome(self, plan, request, base_key)
            if picked is not None:
                return picked
        hit = None if forced else self.ledger.cache_get("shot:" + base_key)
        if hit and self.store.has(hit["media"]):
            out = self._outcome_from_cache(shot, request, base_key, hit)
            if out is not None:
                self.ledger.set_shot(self.production_id, shot, "cached", cache_key=base_key,
                                     clip=out.clip_media, anchor=out.anchor_media, cost="0",
                                     cached=True, loose_key=loose_key(request),
                                     duration_s=request.duration_s)
                self.emit({"event": "shot", "shot": shot, "state": "cached",
                           "scores": _plain_scores(out.scores)})
                return out

        self.ledger.set_shot(self.production_id, shot, "running", cache_key=base_key,
                             loose_key=loose_key(request), duration_s=request.duration_s)
        pricing = effective_pricing(spec.name, model.id, model.pricing, self.pricing)
        estimate = pricing.estimate_request(request) if pricing else Decimal(0)
        max_variants = max(1, int(self.settings.get("identity.max_attempts", 3) or 1))
        best: tuple[float, ShotOutcome] | None = None
        total_cost = Decimal(0)
        variant_req = request
        for variant in range(max_variants):
            if variant:
                variant_req = self._stronger(request, variant, base_key, model, plan, best)
                self.emit({"event": "shot", "shot": shot, "state": "regenerating",
                           "attempt": variant + 1, "reason": best[1].note if best else ""})
            key = clip_key(variant_req) + ("" if model.seed else f":variant{variant}")
            cand, cost = await self._variant(plan, variant_req, key, spec.name, model, estimate,
                                             forced)
            total_cost += cost
            margin = _margin(cand.scores)
            if best is None or margin > best[0]:
                best = (margin, cand)
            if margin >= 0:
                break
            if variant + 1 < max_variants and not self._can_afford(estimate):
                log.info("identity.gate.budget", shot=shot)
                break
        assert best is not None
        if before_done is not None:
            await before_done()
        chosen = attrs.evolve(best[1], cost=total_cost, variants=variant + 1, cache_key=base_key)
        meta = _meta(chosen)
        self.ledger.cache_put("shot:" + base_key, "shot", chosen.clip_media, meta,
                              provider=spec.name, model=model.id)
        self.ledger.set_shot(self.production_id, shot, "done", clip=chosen.clip_media,
                             anchor=chosen.anchor_media, cost=total_cost)
        self.emit({"event": "shot", "shot": shot, "state": "done", "cost": str(total_cost),
                   "scores": _plain_scores(chosen.scores), "attempt": variant + 1})
        await asyncio.to_thread(heap.trim)  # the shot's frames are freed: hand the pages back
        return chosen

    def _can_afford(self, estimate: Decimal) -> bool:
        b = self.budget
        return b.max_cost is None or b.spent + b.reserved + estimate <= b.max_cost

    def _stronger(self, request: ClipRequest, variant: int, base_key: str, model: Any,
                  plan: Any, best: tuple[float, ShotOutcome] | None) -> ClipRequest:
        seed = int(hashlib.sha256(f"{base_key}:{variant}".encode()).hexdigest()[:8], 16) & 0x7FFFFFFF
        changes: dict[str, Any] = {"seed": seed if model.seed else request.seed}
        refs = list(request.reference_images)
        frames = request.first_frame is not None or request.last_frame is not None
        if (ReferenceRole.SUBJECT in model.reference_roles
                and (not frames or model.references_with_frames) and best is not None):
            have = {r.path.resolve() for r in refs}
            failing = [c for c in getattr(plan, "characters", ())
                       # only a face score that failed: a look score (passed None) is no verdict
                       if best[1].scores.get(c.id, {}).get("passed") is False
                       and best[1].scores.get(c.id, {}).get("gated", True)]
            for char in failing:
                for ref in char.references:
                    if len(refs) >= model.max_reference_images:
                        break
                    if Path(ref).resolve() not in have:
                        refs.append(ReferenceImage(path=ref, role=ReferenceRole.SUBJECT,
                                                   label=char.id))
                        have.add(Path(ref).resolve())
        changes["reference_images"] = tuple(refs)
        return attrs.evolve(request, **changes)

    async def _variant(self, plan: Any, request: ClipRequest, key: str, provider: str,
                       model: Any, estimate: Decimal, forced: bool) -> tuple[ShotOutcome, Decimal]:
        shot = plan.id
        hit = None if forced else self.ledger.cache_get(key)
        if hit and self.store.has(hit["media"]):
            out = self._outcome_from_cache(shot, request, key, hit)
            if out is not None and out.anchor_media:
                return out, Decimal(0)
            if out is not None:  # paid and stored, but the render stopped before scoring it
                try:
                    out = await self._finish(plan, attrs.evolve(out, anchor=None), provider)
                except ShotError as exc:
                    if not _bad_media(exc):
                        raise
                    self._evict(key, shot, exc)  # and generate it again below
                else:
                    self.ledger.cache_put(key, "clip", out.clip_media, _meta(out),
                                          provider=provider, model=model.id)
                    return out, Decimal(0)
        spent = Decimal(0)
        attempt_ids: list[int] = []
        #: a job this shot paid for that core cannot re-attach to (the model is not resumable):
        #: a retry would pay for a second job, so there is none
        unresumable: list[str] = []

        async def once(n: int) -> tuple[Any, str]:
            nonlocal spent
            resume = self.ledger.open_job(key, provider) if model.resumable else None
            reserved = self.budget.reserve(Decimal(0) if resume else estimate, shot=shot,
                                           what="the clip")
            aid = self.ledger.start_attempt(
                self.production_id, shot, "generate", cache_key=key, provider=provider,
                model=model.id, seed=request.seed, resumed_job=resume,
            )
            attempt_ids.append(aid)
            if resume:
                # the job now belongs to this attempt: a crash during the resume re-attaches again
                self.ledger.reattached(resume, provider)
                self.ledger.set_job(aid, resume)
                log.info("job.reattach", shot=shot, provider=provider, job=resume, attempt=n)
            job: dict[str, str] = {}

            def report_job(job_id: str) -> None:
                job["id"] = job_id
                self.ledger.set_job(aid, job_id)
                self.ledger.add_job(job_id, provider=provider, cache_key=key, model=model.id,
                                    cost=estimate, production_id=self.production_id,
                                    attempt_id=aid)

            tmp = Path(tempfile.mkdtemp(dir=self.workdir, prefix="clip-"))
            self.emit({"event": "shot", "shot": shot, "state": "generating", "attempt": n,
                       **({"resumed_job": resume} if resume else {})})
            stage = "generate"
            cost = Decimal(0)
            try:
                async with self.limits.slot(provider, model.id,
                                            max_concurrency=model.max_concurrency,
                                            requests_per_minute=model.requests_per_minute):
                    self.provider_calls += 1
                    result = await self.dispatcher.generate_clip(
                        request, workdir=tmp, report_job=report_job, resume_job_id=resume
                    )
                jid = job.get("id") or resume
                if jid is None and result.job_id:  # a job the provider did not report ahead
                    report_job(result.job_id)
                    jid = result.job_id
                # a job that exists, or a result that came back, has been paid for
                cost = (self.ledger.charge_job(jid, provider, result.cost) if jid
                        else result.cost if result.cost is not None else estimate)
                stage = "validate"
                self.emit({"event": "shot", "shot": shot, "state": "validating"})
                publish = self._tentative.get(shot)
                if publish is not None and not publish.done():
                    # the next shot waits for this clip's anchor: find it first (only the
                    # clip's end is decoded), let that request go, then validate every frame
                    frame = await self._anchor_of(result.path)
                    publish.set_result(frame)
                    async with self._media_slots:
                        await _validate_clip(result.path, request.duration_s)
                else:
                    frame = await self._validate(result.path, request.duration_s)
                media = self.store.put(result.path)
                if frame is not None:
                    self._anchors[media] = frame
                # cache at once: a crash from here on never pays for this clip again
                self.ledger.cache_put(key, "clip", media, {
                    "duration_s": result.duration_s, "width": result.width,
                    "height": result.height, "fps": result.fps, "has_audio": result.has_audio,
                    "seed": result.seed if result.seed is not None else request.seed,
                    "anchor_media": None,
                }, provider=provider, model=model.id)
                if jid:
                    self.ledger.finish_job(jid, provider, "delivered")
            except BaseException as exc:
                jid = job.get("id") or resume
                if jid and stage == "generate":
                    cost = self.ledger.charge_job(jid, provider)
                    self._settle_job(jid, provider, model, exc, unresumable)
                elif jid:  # it delivered, but not a usable clip: fetch it again, a few times
                    bad = self.ledger.invalid_delivery(jid, provider)
                    if bad >= MAX_INVALID_DELIVERIES:
                        self.ledger.finish_job(jid, provider, "failed",
                                               error=f"delivered unusable media {bad} times: {exc}")
                    elif not model.resumable:
                        unresumable.append(jid)
                status = "invalid" if stage == "validate" else (
                    "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed")
                self.ledger.finish_attempt(aid, status, cost=cost, error=exc, job_id=jid)
                self.budget.settle(reserved, cost)
                spent += cost
                if not isinstance(exc, asyncio.CancelledError):
                    self.emit({"event": "attempt", "shot": shot, "stage": stage,
                               "provider": provider, "status": status, "attempt": n,
                               "cost": str(cost), "error": f"{type(exc).__name__}: {exc}",
                               **({"job": jid} if jid else {})})
                if isinstance(exc, MinistudioError):
                    exc.stage = stage  # type: ignore[attr-defined]
                raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self.ledger.finish_attempt(aid, "ok", cost=cost, media=media, job_id=jid)
            self.budget.settle(reserved, cost)
            spent += cost
            self.emit({"event": "attempt", "shot": shot, "stage": "generate",
                       "provider": provider, "status": "ok", "attempt": n, "cost": str(cost),
                       **({"resumed_job": resume} if resume else {})})
            return result, media

        def retry_this(exc: BaseException) -> bool:
            return _retryable(exc) and not unresumable

        for media_round in range(MEDIA_ROUNDS):
            try:
                result, media = await self._with_retries(once, retry_this)
            except MinistudioError as exc:
                self._stop_if_fatal(exc)
                raise ShotError(ShotFailure(
                    shot=shot, provider=provider, stage=getattr(exc, "stage", "generate"),
                    reason=str(exc) + _job_note(exc, unresumable),
                    error_type=type(exc).__name__,
                )) from exc
            clip = self.store.path(media)
            out = ShotOutcome(
                id=shot, request=request, cache_key=key, clip=clip, clip_media=media,
                anchor=None, anchor_media=None, duration_s=result.duration_s,
                width=result.width, height=result.height, fps=result.fps,
                has_audio=result.has_audio,
                seed=result.seed if result.seed is not None else request.seed, cached=False,
            )
            try:
                out = await self._finish(plan, out, provider)
                break
            except ShotError as exc:
                # validated and stored, but a later stage cannot read it: never serve it again
                if not _bad_media(exc) or media_round + 1 >= MEDIA_ROUNDS:
                    if _bad_media(exc):
                        self.ledger.cache_delete(key)
                    raise
                self._evict(key, shot, exc)
        if attempt_ids:
            self.ledger.set_scores(attempt_ids[-1], _plain_scores(out.scores, full=True))
        self.ledger.cache_put(key, "clip", media, _meta(out), provider=provider, model=model.id)
        return out, spent

    async def _finish(self, plan: Any, out: ShotOutcome, provider: str) -> ShotOutcome:
        shot = plan.id
        adir = self.workdir / "anchors"
        adir.mkdir(parents=True, exist_ok=True)
        try:
            found = self._anchors.pop(out.clip_media, None)
            if found is None or not found.is_file():
                async with self._media_slots:
                    found = (await self.dispatcher.extract_anchor_frame(AnchorFrameRequest(
                        clip=out.clip, output_dir=Path(tempfile.mkdtemp(dir=adir))))).path
            anchor_media = self.store.put(found)
        except MinistudioError as exc:
            raise ShotError(ShotFailure(shot=shot, provider=provider, stage="anchor-frame",
                                        reason=str(exc), error_type=type(exc).__name__)) from exc
        out = attrs.evolve(out, anchor=self.store.path(anchor_media), anchor_media=anchor_media)
        scores: dict[str, Any] = {}
        default_threshold = self.settings.get("identity.threshold")
        chars = [c for c in getattr(plan, "characters", ()) if c.references]
        if chars:
            self.emit({"event": "shot", "shot": shot, "state": "scoring"})
        for char in chars:
            try:
                await self._media_slots.acquire()
                try:
                    score = await self.dispatcher.score_identity(
                        IdentityRequest(media=out.clip, references=tuple(char.references),
                                        character=char.id, shot_id=shot,
                                        others=[(c.id, tuple(c.references)) for c in chars
                                                if c.id != char.id], crops=True),
                        workdir=self.workdir / "identity",
                    )
                finally:
                    self._media_slots.release()
            except ProviderNotFoundError as exc:
                return attrs.evolve(out, scores={}, note=f"identity not scored: {exc}")
            except MinistudioError as exc:
                raise ShotError(ShotFailure(
                    shot=shot, provider=getattr(exc, "provider", None) or "identity",
                    stage="identity", reason=str(exc), error_type=type(exc).__name__,
                )) from exc
            # user thresholds are face-identity thresholds; a look score (colour/structure,
            # e.g. no face found) is judged by its scorer's own threshold and only gates
            # regeneration when the user opts in with identity.gate_on_look
            is_face = score.kind == "face"
            threshold = next(
                (t for t in (getattr(char, "identity_threshold", None), default_threshold)
                 if t is not None), score.threshold) if is_face else score.threshold
            scores[char.id] = {
                "score": round(float(score.score), 4), "threshold": float(threshold),
                # a face match or not; None when no face scorer applied: never a match
                "passed": float(score.score) >= float(threshold) if is_face else None,
                "kind": score.kind,
                "gated": is_face or bool(self.settings.get("identity.gate_on_look")),
                "scorer": score.scorer, "p10": score.p10, "note": score.note,
                "frames_used": list(score.frames_used),
                "boxes": [list(b) for b in getattr(score, "boxes", ())],
                "name": getattr(char, "name", char.id),
            }
            crops = getattr(score, "crops", None)
            if crops is not None and Path(crops).is_file():
                # the faces used, kept with the clip (a cached shot still shows them)
                scores[char.id]["crop_media"] = self.store.put(Path(crops))
                Path(crops).unlink(missing_ok=True)
        failing = [f"{c} {s['score']:.2f}<{s['threshold']:.2f}" for c, s in scores.items()
                   if s["score"] < s["threshold"] and s.get("gated", True)]
        return attrs.evolve(out, scores=scores, crops=self._crops(scores),
                            note=("identity below threshold: " + ", ".join(failing)) if failing else "")

    def _crops(self, scores: Mapping[str, Any]) -> dict[str, Path]:
        return {c: self.store.path(s["crop_media"]) for c, s in scores.items()
                if s.get("crop_media") and self.store.has(s["crop_media"])}

    def _outcome_from_cache(self, shot: str, request: ClipRequest, key: str,
                            hit: Mapping[str, Any]) -> ShotOutcome | None:
        meta = hit["meta"]
        anchor_media = meta.get("anchor_media")
        if anchor_media and not self.store.has(anchor_media):
            return None
        return ShotOutcome(
            id=shot, request=request, cache_key=key, clip=self.store.path(hit["media"]),
            clip_media=hit["media"], anchor=self.store.path(anchor_media) if anchor_media else None,
            anchor_media=anchor_media, duration_s=meta["duration_s"], width=meta["width"],
            height=meta["height"], fps=meta["fps"], has_audio=meta["has_audio"],
            seed=meta.get("seed"), cached=True, scores=meta.get("scores") or {},
            variants=meta.get("variants", 1), note=meta.get("note", ""),
            crops=self._crops(meta.get("scores") or {}),
        )


def _meta(out: ShotOutcome) -> dict[str, Any]:
    return {
        "duration_s": out.duration_s, "width": out.width, "height": out.height, "fps": out.fps,
        "has_audio": out.has_audio, "seed": out.seed, "anchor_media": out.anchor_media,
        "scores": dict(out.scores), "variants": out.variants, "note": out.note,
    }


def _margin(scores: Mapping[str, Any]) -> float:
    """How far the worst gated character is above its threshold (negative: below). Only a
    face score counts as a match: a gated look score can only pull the margin down."""
    gated = [s["score"] - s["threshold"] if s.get("kind", "face") == "face"
             else min(0.0, s["score"] - s["threshold"])
             for s in scores.values() if s.get("gated", True)]
    return min(gated) if gated else 0.0


def _plain_scores(scores: Mapping[str, Any], full: bool = False) -> dict[str, Any]:
    """For events: per character its score, the score's kind (``face`` or ``look``) and
    whether it passed (``None`` when no face scorer applied); ``full`` keeps everything."""
    if full:
        return {k: dict(v) for k, v in scores.items()}
    return {k: {"score": v["score"], "kind": v.get("kind"), "passed": v.get("passed")}
            for k, v in scores.items()}


async def _validate_clip(path: Path, expected_duration_s: float) -> None:
    from ministudio.media import validate_clip

    await asyncio.to_thread(validate_clip, path, expected_duration_s=expected_duration_s)


async def shoot_all(prod: Production, plans: Any) -> dict[str, Any]:
    """Produce every shot plan through the dependency graph; outcomes by plan id.

    A continued shot is requested as soon as its predecessor's first delivered clip has an
    anchor frame (:meth:`Production.early_anchor`), while that clip is still being
    validated and stored; it is recorded as done only once the predecessor is, and only if
    the predecessor kept that clip: when the predecessor's clip failed validation (or was
    replaced), the continued shot is requested again from the anchor frame it kept (one
    provider call lost, only then); when the predecessor fails, the continued shot is
    cancelled and blocked."""
    from ministudio.engine.scheduler import BlockedError, run_graph

    by_id = {sp.id: sp for sp in plans}
    loop = asyncio.get_running_loop()
    early = {sp.continues_from for sp in plans
             if sp.continues_from in by_id and prod.early_anchor(by_id[sp.continues_from])}
    prod._tentative = {sid: loop.create_future() for sid in early}
    finals: dict[str, asyncio.Future[ShotOutcome]] = {sp.id: loop.create_future() for sp in plans}

    async def work(node: str, prev: ShotOutcome | None) -> ShotOutcome:
        sp = by_id[node]
        try:
            if sp.continues_from in early:
                out = await _continued(sp, sp.continues_from)
            else:
                if sp.continues_from is not None and (prev is None or prev.anchor is None):
                    raise BlockedError(f"no anchor frame from {sp.continues_from}")
                out = await prod.shoot(sp, prev.anchor if prev is not None else None)
        except BaseException as exc:
            if not finals[node].done():
                finals[node].set_exception(exc)
            raise
        finals[node].set_result(out)
        return out

    async def _final(dep: str) -> ShotOutcome:
        try:
            prev = await asyncio.shield(finals[dep])
        except BaseException as exc:  # noqa: BLE001 - the predecessor failed
            err = BlockedError(f"waits for {dep}, which did not finish")
            err.__cause__ = exc
            raise err from exc
        if prev.anchor is None:
            raise BlockedError(f"no anchor frame from {dep}")
        return prev

    async def _continued(sp: Any, dep: str) -> ShotOutcome:
        tentative, final = prod._tentative[dep], finals[dep]
        await asyncio.wait({tentative, final}, return_when=asyncio.FIRST_COMPLETED)
        if not tentative.done():  # cached, or failed before any clip arrived
            return await prod.shoot(sp, (await _final(dep)).anchor)
        anchor = tentative.result()

        kept: dict[str, Path] = {}

        async def before_done() -> None:
            prev = await _final(dep)
            if not _same_bytes(prev.anchor, anchor):
                raise _StaleAnchor(dep)
            kept["anchor"] = prev.anchor  # type: ignore[assignment]

        task = asyncio.ensure_future(prod.shoot(sp, anchor, before_done))
        watch = asyncio.ensure_future(_final(dep))
        try:
            await asyncio.wait({task, watch}, return_when=asyncio.FIRST_COMPLETED)
            if watch.done() and watch.exception() is not None and not task.done():
                task.cancel()  # the predecessor failed: stop paying for this shot
                with contextlib.suppress(BaseException):
                    await task
                raise watch.exception()  # type: ignore[misc]
            try:
                out = await task
                if "anchor" in kept:  # the same bytes, where the store keeps them
                    out = attrs.evolve(out, request=attrs.evolve(
                        out.request, first_frame=kept["anchor"]))
                return out
            except _StaleAnchor:
                log.info("chain.restart", shot=sp.id, after=dep)
                return await prod.shoot(sp, (await _final(dep)).anchor)
        finally:
            for t in (task, watch):
                if not t.done():
                    t.cancel()
            with contextlib.suppress(BaseException):
                await watch

    from ministudio.media.anchor import preload

    warm = asyncio.ensure_future(asyncio.to_thread(preload))  # while the first requests are out
    warm.add_done_callback(lambda f: f.cancelled() or f.exception())  # a failure shows later
    try:
        return await run_graph(list(by_id), {sp.id: None if sp.continues_from in early
                                             else sp.continues_from for sp in plans}, work)
    finally:
        for fut in finals.values():  # failures were reported through the outcomes
            if fut.done() and not fut.cancelled():
                fut.exception()


class _StaleAnchor(Exception):
    """A continued shot was started from an anchor frame its predecessor did not keep."""


def _same_bytes(a: Path | None, b: Path | None) -> bool:
    from ministudio.engine.store import content_digest

    return a is not None and b is not None and content_digest(a) == content_digest(b)
