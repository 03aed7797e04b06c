"""Conformance suites a provider plugin's tests subclass.

The tests are derived from what the provider *declares*: every declared capability limit is
probed with a request just beyond it (it must raise :class:`CapabilityError` with zero HTTP
calls), every model renders a minimal valid request whose result must honour the requested
duration and aspect ratio, HTTP errors must map to the right error classes and ``retryable``
flags, and a canary secret must never leak into error messages or logs.

Example (a plugin talking to an HTTP API through ``context.transport``)::

    import httpx
    from ministudio.testing.conformance import ClipProviderConformance
    import ministudio_kling.plugin

    class TestKlingConformance(ClipProviderConformance):
        plugin = ministudio_kling.plugin
        provider = "kling"
        env = {"KLING_API_KEY": "sk-test"}
        transport_kind = "httpx"           # "httpx2" for SDKs built on httpx2, None if offline

        def respond(self, request):        # the mock API: answer one successful job
            ...
            return httpx.Response(200, content=mp4_bytes)

Override ``error_response`` if the API's error bodies need a particular shape, and skip a test
only with a reason: ``tests_to_skip = {"the API has no 5xx path": ["test_error_mapping"]}``.

Models that declare ``resumable=True`` (paid long-running jobs) also run the risky paths
through core's real render engine (ledger, retries, re-attach), counting *paid jobs* (submit
requests the mock API answered): a crash after ``report_job`` then the next render
re-attaching, a retryable error on the first poll, an HTML page as the first download, a poll
slower than the call's deadline, and a 503 on each request of a job in turn. Every one must
end with one paid job and a valid clip. ``is_submit(request)`` tells the paid request apart
(default: the first ``POST``); override it for APIs that poll with ``POST``. Models with a
first frame also render image-to-video. The secret-leak test fails (never skips) when the
provider declares credentials the test did not set in ``env``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from structlog.testing import capture_logs

from ministudio.capabilities import ClipModel, ProviderSpec, ReferenceRole, SpeechModel
from ministudio.converter import structure, unstructure
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.errors import (
    AuthenticationError,
    CapabilityError,
    MinistudioError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.plugins import PluginManager, Status
from ministudio.requests import ClipRequest, ReferenceImage, SpeechRequest
from ministudio.testing.transport import RecordingTransport

__all__ = ["ClipProviderConformance", "SpeechProviderConformance"]

CANARY = "canary-secret-3f9a7c"


def _png(path: Path, size: tuple[int, int] = (64, 64)) -> Path:
    from PIL import Image

    Image.new("RGB", size, (120, 80, 60)).save(path)
    return path


class _Base:
    #: the plugin module or object under test
    plugin: ClassVar[Any]
    #: the provider name it registers
    provider: ClassVar[str]
    #: environment for the provider (fake credentials); secret-looking values get a canary
    env: ClassVar[Mapping[str, str]] = {}
    #: the provider's settings (``[providers.NAME]``)
    settings: ClassVar[Mapping[str, Any]] = {}
    #: "httpx", "httpx2" or None (a provider that does no HTTP)
    transport_kind: ClassVar[str | None] = "httpx"
    #: HTTP status -> the error class it must raise
    error_statuses: ClassVar[Mapping[int, type[ProviderError]]] = {
        401: AuthenticationError,
        429: RateLimitedError,
        503: ProviderUnavailableError,
    }
    #: reason -> test names to skip
    tests_to_skip: ClassVar[Mapping[str, list[str]]] = {}

    # -- hooks for the subclass --------------------------------------------------------

    def respond(self, request: Any) -> Any:
        """The mock API's answer to a successful call (for HTTP providers)."""
        raise NotImplementedError("HTTP providers must implement respond(request)")

    def error_response(self, request: Any, status: int) -> Any:
        body = {"error": {"code": status, "message": "simulated failure", "status": str(status)}}
        headers = {"retry-after": "1"} if status == 429 else {}
        mod = __import__(self.transport_kind or "httpx")
        return mod.Response(status, json=body, headers=headers)

    # -- machinery ---------------------------------------------------------------------

    def _skip_if_listed(self, name: str) -> None:
        for reason, names in self.tests_to_skip.items():
            if name in names:
                pytest.skip(reason)

    def _env(self) -> dict[str, str]:
        return dict(self.env)

    def manager(self) -> PluginManager:
        pm = PluginManager(load_entrypoints=False, builtins=True, env=self._env())
        record = pm.register(self.plugin, name=f"under-test-{self.provider}")
        assert record.status == Status.ACTIVE, f"plugin did not load: {record.reason}"
        return pm

    def dispatcher(self, transport: RecordingTransport, env: Mapping[str, str] | None = None) -> Dispatcher:
        kind = self.transport_kind
        wire = None if kind is None else getattr(transport, kind)()
        return Dispatcher(
            self.manager(),
            provider_settings={self.provider: dict(self.settings)},
            env=dict(env if env is not None else self._env()),
            transport=wire,
            retry=RetryPolicy(attempts=1),
        )

    def spec(self) -> ProviderSpec:
        return self.manager().get_provider(self.provider)

    # -- tests -------------------------------------------------------------------------

    def test_spec_is_registered_and_round_trips(self) -> None:
        self._skip_if_listed("test_spec_is_registered_and_round_trips")
        spec = self.spec()
        assert spec.name == self.provider
        assert structure(unstructure(spec), ProviderSpec) == spec

    def test_import_is_light(self) -> None:
        """Registration must not import heavy ML/SDK modules (keeps `providers list` fast)."""
        self._skip_if_listed("test_import_is_light")
        import subprocess
        import sys

        module = getattr(self.plugin, "__name__", None)
        if not isinstance(module, str) or not module.startswith("ministudio"):
            pytest.skip("plugin is not an importable module")
        code = (
            f"import sys, importlib; m = importlib.import_module({module!r}); "
            "list(m.register_providers()) if hasattr(m, 'register_providers') else None; "
            "heavy = [n for n in ('torch', 'diffusers', 'transformers', 'google.genai', 'openai', "
            "'huggingface_hub', 'dlib', 'onnxruntime', 'piper') if n in sys.modules]; print(heavy)"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]", f"importing {module} pulled in {out.stdout.strip()}"


    def call(self, dispatcher: Dispatcher, tmp_path: Path, workdir: Path) -> Any:
        """A coroutine making one valid call of the operation under test."""
        raise NotImplementedError

    def test_error_mapping(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_error_mapping")
        if self.transport_kind is None:
            pytest.skip("provider does no HTTP")
        for status, expected in self.error_statuses.items():
            transport = RecordingTransport(lambda r, s=status: self.error_response(r, s))
            with pytest.raises(expected) as info:
                asyncio.run(self.call(self.dispatcher(transport), tmp_path, tmp_path / str(status)))
            assert info.value.retryable == expected.retryable
            assert transport.calls >= 1

    def test_secrets_never_leak(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_secrets_never_leak")
        auth = self.spec().auth
        declared = auth.env_vars if auth is not None else ()
        missing = [v for v in declared if v not in self.env]
        if declared and (len(missing) == len(declared) if auth.optional else missing):
            pytest.fail(f"{self.provider} declares credentials {', '.join(missing)} that the "
                        "test's `env` does not set: the secret-leak check would prove nothing")
        if self.transport_kind is None or not self.env:
            pytest.skip("provider takes no credentials over HTTP")
        env = {k: CANARY for k in self.env}
        transport = RecordingTransport(lambda r: self.error_response(r, 401))
        with capture_logs() as logs, pytest.raises(MinistudioError) as info:
            asyncio.run(self.call(self.dispatcher(transport, env=env), tmp_path, tmp_path / "s"))
        assert CANARY not in str(info.value)
        assert CANARY not in json.dumps(logs, default=str)


@attrs.frozen(kw_only=True)
class _ShotPlan:
    """The part of a shot plan the engine reads to produce one shot."""

    id: str
    request: ClipRequest
    characters: tuple[Any, ...] = ()
    continues_from: str | None = None


class ClipProviderConformance(_Base):
    """Conformance for ``generate_clip`` providers. See the module docstring."""

    def models(self) -> tuple[ClipModel, ...]:
        return self.spec().clip_models

    def valid_request(self, model: ClipModel, tmp_path: Path) -> ClipRequest:
        """The smallest request the model must accept (override to adjust)."""
        duration = min(model.durations) if model.durations else max(model.min_duration_s, 1.0)
        return ClipRequest(
            provider=self.provider,
            model=model.id,
            prompt="A red kite over green hills, wide shot",
            duration_s=float(duration),
            aspect_ratio=model.aspect_ratios[0] if model.aspect_ratios else "16:9",
            resolution=model.resolutions[0] if model.resolutions else "720p",
            fps=model.fps[0] if model.fps else 24,
            seed=7 if model.seed else None,
            shot_id="conformance",
        )

    def beyond_capabilities(self, model: ClipModel, tmp_path: Path) -> dict[str, ClipRequest]:
        """One request per declared limit, each just beyond it."""
        base = self.valid_request(model, tmp_path)
        img = _png(tmp_path / "ref.png")
        out: dict[str, ClipRequest] = {}
        if model.durations:
            out["duration"] = attrs.evolve(base, duration_s=max(model.durations) + 0.5)
        else:
            out["duration"] = attrs.evolve(base, duration_s=model.max_duration_s + 1.0)
        if model.aspect_ratios:
            odd = next(a for a in ("21:9", "4:3", "3:4", "2:1") if a not in model.aspect_ratios)
            out["aspect_ratio"] = attrs.evolve(base, aspect_ratio=odd)
        if model.resolutions and "4320p" not in model.resolutions:
            out["resolution"] = attrs.evolve(base, resolution="4320p")
        role = model.reference_roles[0] if model.reference_roles else ReferenceRole.SUBJECT
        refs = tuple(ReferenceImage(path=img, role=role) for _ in range(model.max_reference_images + 1))
        out["reference_images"] = attrs.evolve(base, reference_images=refs)
        if not model.first_frame:
            out["first_frame"] = attrs.evolve(base, first_frame=img)
        if not model.last_frame:
            out["last_frame"] = attrs.evolve(base, last_frame=img)
        if model.first_frame and model.max_reference_images and not model.references_with_frames:
            out["references_with_frames"] = attrs.evolve(
                base, first_frame=img, reference_images=(ReferenceImage(path=img, role=role),)
            )
        if not model.native_audio:
            out["audio"] = attrs.evolve(base, generate_audio=True)
        if model.max_prompt_chars:
            out["prompt_length"] = attrs.evolve(base, prompt="x" * (model.max_prompt_chars + 1))
        return out

    def test_beyond_capabilities_raises_before_io(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_beyond_capabilities_raises_before_io")
        for model in self.models():
            for limit, request in self.beyond_capabilities(model, tmp_path).items():
                transport = RecordingTransport()
                with pytest.raises(CapabilityError):
                    asyncio.run(
                        self.dispatcher(transport).generate_clip(request, workdir=tmp_path / "w")
                    )
                assert transport.calls == 0, f"{model.id}: {limit} check made HTTP calls"

    def test_result_honours_request(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_result_honours_request")
        import av

        for model in self.models():
            request = self.valid_request(model, tmp_path)
            transport = RecordingTransport(self.respond)
            result = asyncio.run(
                self.dispatcher(transport).generate_clip(request, workdir=tmp_path / model.id)
            )
            assert result.path.is_file() and result.path.stat().st_size > 0
            with av.open(str(result.path)) as container:
                stream = container.streams.video[0]
                duration = float(container.duration or 0) / av.time_base
                width, height = stream.codec_context.width, stream.codec_context.height
            assert abs(duration - request.duration_s) <= max(0.25, 2 / request.fps), (
                f"{model.id}: asked {request.duration_s}s, got {duration:.3f}s"
            )
            a, b = (int(v) for v in request.aspect_ratio.split(":"))
            assert abs(Fraction(width, height) - Fraction(a, b)) <= Fraction(a, b) * Fraction(3, 100), (
                f"{model.id}: asked {request.aspect_ratio}, got {width}x{height}"
            )
            assert (result.width, result.height) == (width, height)

    # -- image-to-video ------------------------------------------------------------------

    def test_image_to_video(self, tmp_path: Path) -> None:
        """A request with a first frame (a continuity chain) renders, and the image is sent."""
        self._skip_if_listed("test_image_to_video")
        import base64

        models = [m for m in self.models() if m.first_frame]
        if not models:
            pytest.skip("no model declares first_frame")
        png = _png(tmp_path / "first.png", (96, 54))
        raw = png.read_bytes()
        needles = (raw[:64], base64.b64encode(raw)[:64])
        for model in models:
            request = attrs.evolve(self.valid_request(model, tmp_path), first_frame=png)
            transport = RecordingTransport(self.respond)
            result = asyncio.run(self.dispatcher(transport).generate_clip(
                request, workdir=tmp_path / f"i2v-{model.id}"))
            assert result.path.is_file() and result.path.stat().st_size > 0
            if self.transport_kind is not None:
                bodies = [bytes(getattr(r, "content", b"") or b"") for r in transport.requests]
                assert any(n in b for b in bodies for n in needles), (
                    f"{model.id}: the first frame was not sent in any request")

    # -- paid jobs through the engine --------------------------------------------------

    def is_submit(self, request: Any) -> bool:
        """Whether ``request`` creates (and pays for) a job. Default: a ``POST``."""
        return str(request.method).upper() == "POST"

    def _resumable(self) -> ClipModel:
        self._skip_if_listed("paid-jobs")
        if self.transport_kind is None:
            pytest.skip("provider does no HTTP")
        for model in self.models():
            if model.resumable:
                return model
        pytest.skip("no model declares resumable=True (no paid long-running jobs)")
        raise AssertionError  # pragma: no cover

    def _looks_like_video(self, response: Any) -> bool:
        kind = str(response.headers.get("content-type", ""))
        try:
            body = bytes(response.content[:12])
        except Exception:  # noqa: BLE001 - a streamed body: judge by its type
            body = b""
        return kind.startswith("video/") or body[4:8] == b"ftyp"

    def _wrapped_api(self, inject: Callable[[str, int, Any], Any] | None = None,
             delay: Callable[[str, int], float] | None = None) -> tuple[RecordingTransport, dict]:
        """The subclass's mock API, wrapped to count paid jobs and inject failures.
        ``inject(kind, index, request)`` may return a response to send instead."""
        seen: dict[str, Any] = {"paid": 0, "kinds": [], "n": 0}

        def handler(request: Any) -> Any:
            index = seen["n"]
            seen["n"] += 1
            if self.is_submit(request):
                forced = inject("submit", index, request) if inject else None
                if forced is not None:
                    seen["kinds"].append("submit")
                    return forced
                response = self.respond(request)
                if int(response.status_code) < 400:
                    seen["paid"] += 1
                seen["kinds"].append("submit")
                return response
            pause = delay("request", index) if delay else 0.0
            if pause:
                time.sleep(pause)
            response = self.respond(request)
            kind = "download" if self._looks_like_video(response) else "poll"
            seen["kinds"].append(kind)
            forced = inject(kind, index, request) if inject else None
            return forced if forced is not None else response

        return RecordingTransport(handler), seen

    def _render_one(self, tmp_path: Path, transport: RecordingTransport,
                    settings: Mapping[str, Any] | None = None, attempts: int = 5) -> Any:
        """Produce one shot of ``valid_request`` through core's engine; returns the outcome
        or raises the shot's error. Reuses the ledger under ``tmp_path`` (a later render)."""
        from ministudio.config import load_settings
        from ministudio.engine.budget import Budget
        from ministudio.engine.ledger import Ledger
        from ministudio.engine.production import Production
        from ministudio.engine.scheduler import Limits
        from ministudio.engine.store import MediaStore

        model = self._resumable()
        state = tmp_path / "project" / ".ministudio"
        work = state / "work"
        work.mkdir(parents=True, exist_ok=True)
        wire = getattr(transport, self.transport_kind or "httpx")()
        dispatcher = Dispatcher(
            self.manager(), provider_settings={self.provider: {**self.settings, **(settings or {})}},
            env=self._env(), transport=wire, retry=RetryPolicy(attempts=1),
        )
        ledger = Ledger(state / "ledger.sqlite")
        try:
            prod = Production(
                ledger=ledger, store=MediaStore(state / "media"), dispatcher=dispatcher,
                limits=Limits(2), budget=Budget(None), production_id=ledger.start_production(
                    "conformance", "conformance", None),
                settings=load_settings(project_dir=tmp_path / "project", env={},
                                       user_config=tmp_path / "none.toml"),
                emit=lambda e: None, workdir=work,
                retry=RetryPolicy(attempts=attempts, initial_s=0.05, max_wait_s=0.2),
            )
            plan = _ShotPlan(id="conformance", request=self.valid_request(model, tmp_path))
            return asyncio.run(prod.shoot(plan, None))
        finally:
            ledger.close()

    def _error(self, status: int) -> Callable[[str, int, Any], Any]:
        return lambda kind, index, request: self.error_response(request, status)

    def test_job_crash_after_report_then_reattach(self, tmp_path: Path) -> None:
        """The job is reported, then the call dies (every later request fails); the next
        render re-attaches to it and pays for nothing more."""
        self._resumable()
        dead = {"on": True}

        def crash(kind: str, index: int, request: Any) -> Any:
            if dead["on"] and kind != "submit":
                raise ConnectionResetError("simulated crash after the job was reported")
            return None

        transport, seen = self._wrapped_api(crash)
        with pytest.raises(MinistudioError):
            self._render_one(tmp_path, transport, attempts=1)
        assert seen["paid"] == 1, "the job was not submitted"
        dead["on"] = False
        outcome = self._render_one(tmp_path, transport)
        assert outcome.clip.is_file()
        assert seen["paid"] == 1, f"{seen['paid']} paid jobs: the next render did not re-attach"

    def test_job_transient_poll_error_reattaches(self, tmp_path: Path) -> None:
        self._resumable()
        first = {"done": False}

        def blip(kind: str, index: int, request: Any) -> Any:
            if kind == "poll" and not first["done"]:
                first["done"] = True
                return self.error_response(request, 503)
            return None

        transport, seen = self._wrapped_api(blip)
        outcome = self._render_one(tmp_path, transport)
        assert outcome.clip.is_file()
        assert seen["paid"] == 1, f"{seen['paid']} paid jobs after one 503 while polling"

    def test_job_bad_download_refetches(self, tmp_path: Path) -> None:
        self._resumable()
        probe_transport, probe_seen = self._wrapped_api()
        self._render_one(tmp_path / "probe", probe_transport)
        if "download" not in probe_seen["kinds"]:
            pytest.skip("the API delivers the video inside the poll answer (no download)")
        first = {"done": False}

        def html(kind: str, index: int, request: Any) -> Any:
            if kind == "download" and not first["done"]:
                first["done"] = True
                mod = __import__(self.transport_kind or "httpx")
                return mod.Response(200, headers={"content-type": "text/html"},
                                    content=b"<html><body>502 Bad Gateway</body></html>")
            return None

        transport, seen = self._wrapped_api(html)
        outcome = self._render_one(tmp_path, transport)
        assert outcome.clip.is_file()
        assert seen["paid"] == 1, f"{seen['paid']} paid jobs after one HTML download"

    def test_job_call_deadline_reattaches(self, tmp_path: Path) -> None:
        """The call's limit (``timeout_s``) runs out while the job runs: the next try
        re-attaches to the same job."""
        self._resumable()
        limit = 1.0
        slow = {"done": False}

        def delay(kind: str, index: int) -> float:
            if not slow["done"]:
                slow["done"] = True
                return limit + 0.5
            return 0.0

        transport, seen = self._wrapped_api(delay=delay)
        outcome = self._render_one(tmp_path, transport, settings={"timeout_s": limit})
        assert outcome.clip.is_file()
        assert seen["paid"] == 1, f"{seen['paid']} paid jobs after the call deadline"

    def test_job_error_on_every_request(self, tmp_path: Path) -> None:
        """A 503 on each request of a job in turn (submit, each poll, each download)."""
        self._resumable()
        happy, happy_seen = self._wrapped_api()
        self._render_one(tmp_path / "happy", happy)
        count = min(len(happy_seen["kinds"]), 12)
        assert count >= 1
        for target in range(count):
            fired = {"done": False}

            def once(kind: str, index: int, request: Any, target: int = target,
                     fired: dict = fired) -> Any:
                if index == target and not fired["done"]:
                    fired["done"] = True
                    return self.error_response(request, 503)
                return None

            transport, seen = self._wrapped_api(once)
            outcome = self._render_one(tmp_path / f"fail-{target}", transport)
            assert outcome.clip.is_file()
            assert seen["paid"] == 1, (
                f"a 503 on request {target + 1} ({happy_seen['kinds'][target]}) led to "
                f"{seen['paid']} paid jobs")

    def call(self, dispatcher: Dispatcher, tmp_path: Path, workdir: Path) -> Any:
        return dispatcher.generate_clip(
            self.valid_request(self.models()[0], tmp_path), workdir=workdir
        )


class SpeechProviderConformance(_Base):
    """Conformance for ``synthesize_speech`` providers."""

    text: ClassVar[str] = "The kite rose over the quiet hills."

    def models(self) -> tuple[SpeechModel, ...]:
        return self.spec().speech_models

    def valid_request(self, model: SpeechModel) -> SpeechRequest:
        voice = model.voices[0].id if model.voices else None
        return SpeechRequest(provider=self.provider, model=model.id, text=self.text, voice=voice,
                             shot_id="conformance")

    def beyond_capabilities(self, model: SpeechModel) -> dict[str, SpeechRequest]:
        base = self.valid_request(model)
        out = {"empty_text": attrs.evolve(base, text="  ")}
        if model.voices:
            out["voice"] = attrs.evolve(base, voice="no-such-voice-xyz")
        if not model.instructions:
            out["instructions"] = attrs.evolve(base, instructions="whisper")
        if model.max_chars:
            out["length"] = attrs.evolve(base, text="a " * (model.max_chars + 1))
        return out

    def test_beyond_capabilities_raises_before_io(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_beyond_capabilities_raises_before_io")
        for model in self.models():
            for limit, request in self.beyond_capabilities(model).items():
                transport = RecordingTransport()
                with pytest.raises(CapabilityError):
                    asyncio.run(
                        self.dispatcher(transport).synthesize_speech(request, workdir=tmp_path)
                    )
                assert transport.calls == 0, f"{model.id}: {limit} check made HTTP calls"

    def test_result_has_audio_and_word_timings(self, tmp_path: Path) -> None:
        self._skip_if_listed("test_result_has_audio_and_word_timings")
        import wave

        for model in self.models():
            transport = RecordingTransport(self.respond)
            result = asyncio.run(
                self.dispatcher(transport).synthesize_speech(
                    self.valid_request(model), workdir=tmp_path / model.id
                )
            )
            with wave.open(str(result.path)) as wav:
                seconds = wav.getnframes() / wav.getframerate()
                assert wav.getframerate() == result.sample_rate
            assert abs(seconds - result.duration_s) < 0.02
            assert result.words, "no word timings"
            assert result.timing_source in ("native", "estimated")
            last = 0.0
            for w in result.words:
                assert last - 1e-6 <= w.start_s <= w.end_s <= result.duration_s + 1e-6
                last = w.start_s

    def call(self, dispatcher: Dispatcher, tmp_path: Path, workdir: Path) -> Any:
        return dispatcher.synthesize_speech(self.valid_request(self.models()[0]), workdir=workdir)
