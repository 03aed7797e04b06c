"""Fake providers for engine tests: a clip provider with latency and injected failures, a
scripted identity scorer, and stand-in shot plans. Shared by the tests, the kill test's
child process and the benchmark."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.capabilities import (
    ClipModel,
    Operation,
    Pricing,
    ProviderSpec,
    ReferenceRole,
    frame_size,
)
from ministudio.context import CallContext
from ministudio.errors import ContentRejectedError, JobFailedError, ProviderUnavailableError
from ministudio.hookspecs import PLUGIN_API, hookimpl
from ministudio.requests import ClipRequest, ClipResult, IdentityRequest, IdentityScore
from ministudio.testing.fakes import FakeClipPlugin, write_color_clip


def chaos_model(**kw: Any) -> ClipModel:
    base = dict(
        id="chaos-1", min_duration_s=0.5, max_duration_s=20.0,
        aspect_ratios=("16:9", "9:16", "1:1"), resolutions=("360p", "720p"), fps=(24,),
        max_reference_images=3, reference_roles=(ReferenceRole.SUBJECT,),
        references_with_frames=True, first_frame=True, last_frame=True,
        pricing=Pricing(per_second=Decimal("0.10")), resumable=True,
    )
    base.update(kw)
    return ClipModel(**base)


class ChaosClipPlugin(FakeClipPlugin):
    """A resumable fake video provider.

    - ``transient``: probability that a call raises ``ProviderUnavailableError`` (seeded).
    - ``permanent``: shot ids whose every call ends in ``JobFailedError``.
    - ``reject``: shot ids rejected by "safety filters".
    - ``corrupt``: shot ids for which the first ``corrupt_times`` calls return an HTML page.
    - ``journal``: a file where every submit and resume is appended (across processes).
    """

    def __init__(self, name: str = "chaos", *, latency_s: float = 0.0, transient: float = 0.0,
                 permanent: Iterable[str] = (), reject: Iterable[str] = (),
                 corrupt: Iterable[str] = (), corrupt_times: int = 1, seed: int = 7,
                 journal: Path | None = None, model: ClipModel | None = None) -> None:
        super().__init__(name, latency_s=latency_s, model=model or chaos_model())
        self.transient = transient
        self.permanent = set(permanent)
        self.reject = set(reject)
        self.corrupt = {s: corrupt_times for s in corrupt}
        self.rng = random.Random(seed)
        self.journal = journal
        self.resumed = 0
        self.in_flight = 0
        self.max_in_flight = 0

    @hookimpl
    def register_providers(self) -> list[ProviderSpec]:
        return [ProviderSpec(name=self.name, operations={Operation.CLIP},
                             description="chaos test provider", clip_models=(self.model,))]

    def _log(self, kind: str, request: ClipRequest, job: str) -> None:
        if self.journal is not None:
            with open(self.journal, "a") as fh:
                fh.write(json.dumps({"kind": kind, "shot": request.shot_id, "job": job}) + "\n")

    @hookimpl
    async def generate_clip(self, request: ClipRequest, context: CallContext) -> ClipResult:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            shot = request.shot_id or ""
            if context.resume_job_id:
                self.resumed += 1
                job = context.resume_job_id
                self._log("resume", request, job)
            else:
                self.calls += 1
                self.requests.append(request)
                job = f"job-{shot}-{self.rng.getrandbits(32):08x}"
                if self.rng.random() < self.transient:
                    raise ProviderUnavailableError("503 from the fake")
                context.report_job(job)
                self._log("submit", request, job)
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            if shot in self.permanent:
                raise JobFailedError(f"job {job} failed: internal model error", job_id=job)
            if shot in self.reject:
                raise ContentRejectedError("the prompt was blocked by the safety filter")
            if self.corrupt.get(shot, 0) > 0:
                self.corrupt[shot] -= 1
                bad = context.workdir / "out.mp4"
                bad.write_text("<html><body>502 Bad Gateway</body></html>")
                return ClipResult(path=bad, provider=self.name, model=request.model,
                                  duration_s=request.duration_s, width=320, height=180, fps=24,
                                  job_id=job)
            return await self._write(request, context, job)
        finally:
            self.in_flight -= 1


    async def _write(self, request: ClipRequest, context: CallContext, job: str) -> ClipResult:
        digest = hashlib.sha256(f"{request.prompt}|{request.seed}".encode()).digest()
        w, h = frame_size(request.aspect_ratio, request.resolution)
        w, h = w // 4 * 2, h // 4 * 2
        path = context.workdir / f"chaos-{digest.hex()[:12]}.mp4"
        await asyncio.to_thread(write_color_clip, path, duration_s=request.duration_s, width=w,
                                height=h, fps=request.fps, color=(digest[0], digest[1], digest[2]))
        return ClipResult(path=path, provider=self.name, model=request.model,
                          duration_s=request.duration_s, width=w, height=h, fps=request.fps,
                          seed=request.seed, job_id=job)


class ScriptedScorer:
    """``score_identity`` from a function of (request) -> score; records every call."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, fn: Callable[[IdentityRequest], float], threshold: float = 0.6) -> None:
        self.fn = fn
        self.threshold = threshold
        self.calls: list[IdentityRequest] = []

    @hookimpl(tryfirst=True)
    def score_identity(self, request: IdentityRequest, context: CallContext) -> IdentityScore:
        self.calls.append(request)
        s = self.fn(request)
        return IdentityScore(score=s, p10=s, minimum=s, scorer="scripted", kind="face",
                             threshold=self.threshold)


@attrs.frozen(kw_only=True)
class CharRef:
    id: str
    name: str
    references: tuple[Path, ...] = ()
    identity_threshold: float | None = None


@attrs.frozen(kw_only=True)
class Plan:
    """Stand-in for ministudio.compile's ShotPlan (same attribute names)."""

    id: str
    scene_id: str
    shot_id: str
    request: ClipRequest
    continues_from: str | None = None
    speech: tuple[Any, ...] = ()
    duration_s: float = 1.0
    duration_source: str = "fixed"
    estimated_cost: Decimal = Decimal(0)
    characters: tuple[CharRef, ...] = ()
    transition: str = "cut"
    transition_s: float = 0.0
    keep_clip_audio: bool = False
    segment: int = 1
    segments: int = 1


def chained_plans(scenes: int, per_scene: int, *, provider: str = "chaos",
                  duration_s: float = 1.0, characters: tuple[CharRef, ...] = (),
                  prompt: str = "a shot") -> list[Plan]:
    plans = []
    for s in range(1, scenes + 1):
        prev = None
        for k in range(1, per_scene + 1):
            pid = f"s{s}.k{k}"
            req = ClipRequest(provider=provider, model="chaos-1", prompt=f"{prompt} {pid}",
                              duration_s=duration_s, resolution="360p", seed=1000 + k)
            plans.append(Plan(id=pid, scene_id=f"s{s}", shot_id=f"k{k}", request=req,
                              continues_from=prev, duration_s=duration_s,
                              characters=characters))
            prev = pid
    return plans


class FakeSpeechPlugin:
    """A speech provider writing a real WAV (a quiet tone, 0.3 s per word) with word times."""

    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, name: str = "fakevoice") -> None:
        self.name = name
        self.calls = 0

    @hookimpl
    def register_providers(self) -> list[ProviderSpec]:
        from ministudio.capabilities import SpeechModel, Voice

        return [ProviderSpec(name=self.name, operations={Operation.SPEECH},
                             description="fake speech for tests",
                             speech_models=(SpeechModel(
                                 id="fv-1", voices=(Voice(id="a"), Voice(id="b")),
                                 languages=("en-US",), word_timings="native",
                                 instructions=True),))]

    @hookimpl
    def synthesize_speech(self, request, context):  # type: ignore[no-untyped-def]
        import numpy as np

        from ministudio.media import write_wav
        from ministudio.requests import SpeechResult, WordTiming

        self.calls += 1
        rate = 16000
        words = request.text.split()
        per = 0.3 / request.rate
        dur = len(words) * per
        t = np.arange(int(dur * rate)) / rate
        samples = (0.1 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, :]
        path = write_wav(context.workdir / "speech.wav", samples, rate)
        timings = [WordTiming(word=w, start_s=round(i * per, 3), end_s=round((i + 0.9) * per, 3))
                   for i, w in enumerate(words)]
        return SpeechResult(path=path, provider=self.name, sample_rate=rate, duration_s=dur,
                            words=timings, voice=request.voice, model="fv-1")
