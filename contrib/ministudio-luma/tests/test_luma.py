"""ministudio-luma through core's conformance suite and its own risky paths, against
``FakeLumaAPI`` (the Dream Machine API's shapes: ``POST /generations``, ``GET
/generations/{id}``, the official SDK's ``VideoCreateParams`` and ``Generation``;
https://docs.lumalabs.ai/docs/api) behind a mock transport."""

from __future__ import annotations

import asyncio
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import ministudio_luma.plugin as plugin
import pytest
from ministudio import (
    AuthenticationError,
    CapabilityError,
    ClipRequest,
    ConfigError,
    ContentRejectedError,
    JobFailedError,
    PaymentRequiredError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport
from ministudio.testing.conformance import ClipProviderConformance
from ministudio_luma.fake import FakeLumaAPI
from ministudio_luma.models import CATALOG, configured_models
from PIL import Image

ENV = {"LUMAAI_API_KEY": "luma-test-key"}
FAST = {"poll_initial_s": 0.02, "poll_max_s": 0.05, "fetch_backoff_s": 0.0}
UPLOAD = {"frame_upload_url": "https://frames.example.test"}


def luma_error(request: Any, status: int) -> httpx.Response:
    headers = {"retry-after": "0"} if status == 429 else {}
    return httpx.Response(status, headers=headers, json={"detail": "simulated"})


class _LumaBase(ClipProviderConformance):
    plugin = plugin
    provider = "luma"
    env = ENV
    transport_kind = "httpx"

    _fake: Any = None

    def respond(self, request: Any) -> Any:
        if self._fake is None:
            self._fake = FakeLumaAPI(job_s=0.2)
        return self._fake(request)

    def error_response(self, request: Any, status: int) -> Any:
        return luma_error(request, status)


class TestLumaConformanceWithoutUploads(_LumaBase):
    """No frame host configured: first and last frames are not declared, so a continuity
    request is refused before any HTTP."""

    settings = FAST


class TestLumaConformanceWithUploads(_LumaBase):
    """A frame host configured (read at load, as from ministudio.toml): image-to-video runs,
    the frame is PUT to the host and sent as keyframes.frame0."""

    settings = {**FAST, **UPLOAD}

    @pytest.fixture(autouse=True)
    def _configured(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MINISTUDIO__PROVIDERS__LUMA__FRAME_UPLOAD_URL",
                           UPLOAD["frame_upload_url"])


# -- helpers -----------------------------------------------------------------------------------


def _dispatcher(handler: Any, settings: dict | None = None, attempts: int = 1
                ) -> tuple[Dispatcher, RecordingTransport]:
    transport = RecordingTransport(handler)
    pm = PluginManager(load_entrypoints=False, builtins=True, env=ENV)
    pm.register(plugin, name="luma-under-test")
    return Dispatcher(pm, provider_settings={"luma": {**FAST, **(settings or {})}}, env=ENV,
                      transport=transport.httpx(),
                      retry=RetryPolicy(attempts=attempts, initial_s=0.01, max_wait_s=0.02)
                      ), transport


def _png(path: Path) -> Path:
    Image.new("RGB", (640, 360), (10, 120, 60)).save(path)
    return path


def _request(**kw: Any) -> ClipRequest:
    base = dict(provider="luma", model="ray-2", prompt="A lighthouse at dusk", duration_s=5.0,
                aspect_ratio="16:9", resolution="720p", fps=24, shot_id="s1")
    return ClipRequest(**{**base, **kw})


def _run(dispatcher: Dispatcher, request: ClipRequest, tmp_path: Path, **kw: Any) -> Any:
    return asyncio.run(dispatcher.generate_clip(request, workdir=tmp_path / "w", **kw))


def _posts(transport: RecordingTransport) -> list[Any]:
    return [r for r in transport.requests if r.method == "POST"]


@pytest.fixture
def uploads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINISTUDIO__PROVIDERS__LUMA__FRAME_UPLOAD_URL",
                       UPLOAD["frame_upload_url"])


# -- request bodies -------------------------------------------------------------------------------


def test_text_to_video_body(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeLumaAPI(), settings={"loop": True})
    result = _run(dispatcher, _request(duration_s=9.0, aspect_ratio="21:9",
                                       resolution="1080p", extra={"concepts": ["dolly_zoom"]}),
                  tmp_path)
    post = _posts(transport)[0]
    assert str(post.url) == "https://api.lumalabs.ai/dream-machine/v1/generations"
    assert post.headers["authorization"] == "Bearer luma-test-key"
    assert json.loads(post.content) == {
        "generation_type": "video", "model": "ray-2", "prompt": "A lighthouse at dusk",
        "resolution": "1080p", "duration": "9s", "aspect_ratio": "21:9", "loop": True,
        "concepts": [{"key": "dolly_zoom"}]}
    downloads = [r for r in transport.requests if r.url.path.startswith("/files/")]
    assert downloads and "authorization" not in downloads[0].headers
    assert result.cost == Decimal("2.8665")  # 9 s x 0.3185 (1080p)
    assert result.duration_s == pytest.approx(9, abs=0.1)


def test_keyframes_are_uploaded_then_sent_as_urls(tmp_path: Path, uploads: None) -> None:
    first, last = _png(tmp_path / "a.png"), _png(tmp_path / "b.jpg")
    api = FakeLumaAPI()
    dispatcher, transport = _dispatcher(api, settings={
        **UPLOAD, "frame_public_url": "https://frames.example.test"})
    _run(dispatcher, _request(first_frame=first, last_frame=last, extra={"loop": False}),
         tmp_path)
    puts = [r for r in transport.requests if r.method == "PUT"]
    assert [bytes(p.content) for p in puts] == [first.read_bytes(), last.read_bytes()]
    assert [p.headers["content-type"] for p in puts] == ["image/png", "image/jpeg"]
    body = json.loads(_posts(transport)[0].content)
    assert body["keyframes"] == {
        "frame0": {"type": "image", "url": str(puts[0].url)},
        "frame1": {"type": "image", "url": str(puts[1].url)}}
    assert transport.requests.index(puts[1]) < transport.requests.index(_posts(transport)[0])


def test_a_frame_upload_failure_pays_nothing(tmp_path: Path, uploads: None) -> None:
    api = FakeLumaAPI()

    def handler(request: Any) -> Any:
        return httpx.Response(403, text="denied") if request.method == "PUT" else api(request)

    dispatcher, transport = _dispatcher(handler, settings=UPLOAD)
    with pytest.raises(AuthenticationError, match="frame upload"):
        _run(dispatcher, _request(first_frame=_png(tmp_path / "a.png")), tmp_path)
    assert _posts(transport) == [] and api.submissions == 0


# -- capabilities before HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"first_frame": "IMG"},            # no frame host configured: keyframes need URLs
    {"last_frame": "IMG"},
    {"duration_s": 10.0},              # "5s" or "9s"
    {"aspect_ratio": "2:1"},
    {"resolution": "2160p"},
    {"negative_prompt": "blur"},       # the video API takes none
    {"seed": 4},
    {"generate_audio": True},
])
def test_beyond_what_luma_can_do_raises_before_http(tmp_path: Path, change: dict) -> None:
    change = {k: (_png(tmp_path / "f.png") if v == "IMG" else v) for k, v in change.items()}
    dispatcher, transport = _dispatcher(FakeLumaAPI())
    with pytest.raises(CapabilityError):
        _run(dispatcher, _request(**change), tmp_path)
    assert transport.calls == 0


def test_frames_declared_only_with_a_frame_host(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not any(m.first_frame or m.last_frame for m in next(plugin.register_providers()).clip_models)
    monkeypatch.setenv("MINISTUDIO__PROVIDERS__LUMA__FRAME_UPLOAD_URL", "https://f.example")
    assert all(m.first_frame and m.last_frame for m in next(plugin.register_providers()).clip_models)


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "detail", "error", "calls"), [
    (400, "Insufficient credits", PaymentRequiredError, 1),
    (400, "Prompt not allowed because advanced moderation failed", ContentRejectedError, 1),
    (401, "Invalid API key provided", AuthenticationError, 1),
    (429, "Too many requests", RateLimitedError, 3),
    (500, "Internal server error", ProviderUnavailableError, 3),
])
def test_error_details_map_to_the_right_class(tmp_path: Path, status: int, detail: str,
                                              error: type, calls: int) -> None:
    dispatcher, transport = _dispatcher(lambda r: httpx.Response(
        status, json={"detail": detail}, headers={"retry-after": "0"}), attempts=3)
    with pytest.raises(error) as info:
        _run(dispatcher, _request(), tmp_path)
    assert info.value.retryable == error.retryable and transport.calls == calls
    assert detail in str(info.value)


def test_moderation_and_credits_from_the_fake(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeLumaAPI(no_credits=True), attempts=3)
    with pytest.raises(PaymentRequiredError):
        _run(dispatcher, _request(), tmp_path / "a")
    dispatcher, transport = _dispatcher(FakeLumaAPI(), attempts=3)
    with pytest.raises(ContentRejectedError):
        _run(dispatcher, _request(prompt="something prohibited"), tmp_path / "b")
    assert transport.calls == 1


def test_a_failed_generation_ends_the_job_with_its_reason(tmp_path: Path) -> None:
    api = FakeLumaAPI(job_s=0.05)
    dispatcher, transport = _dispatcher(api, attempts=3)
    with pytest.raises(JobFailedError, match="internal error") as info:
        _run(dispatcher, _request(prompt="a doomed ship"), tmp_path)
    assert info.value.job_ended and api.submissions == 1


# -- re-attach, pricing, settings -----------------------------------------------------------------


def test_resume_job_id_reattaches_without_submitting(tmp_path: Path) -> None:
    api = FakeLumaAPI(job_s=0.05)
    dispatcher, transport = _dispatcher(api)
    reported: list[str] = []
    done = _run(dispatcher, _request(), tmp_path / "one", report_job=reported.append)
    assert reported == [done.job_id]
    transport.requests.clear()
    again = _run(dispatcher, _request(), tmp_path / "two", resume_job_id=done.job_id)
    assert _posts(transport) == [] and api.submissions == 1
    assert transport.requests[0].url.path == f"/dream-machine/v1/generations/{done.job_id}"
    assert again.job_id == done.job_id and again.path.is_file()


@pytest.mark.parametrize(("model", "resolution", "seconds", "usd"), [
    ("ray-2", "540p", 5, "0.398"), ("ray-2", "720p", 5, "0.708"), ("ray-2", "1080p", 5, "1.5925"),
    ("ray-2", "4k", 9, "11.466"), ("ray-flash-2", "720p", 9, "0.4383"),
    ("ray-flash-2", "4k", 5, "2.1895"),
])
def test_prices_by_resolution(model: str, resolution: str, seconds: int, usd: str) -> None:
    spec = next(m for m in CATALOG if m.id == model)
    assert spec.pricing is not None and "lumalabs.ai" in spec.pricing.source
    request = _request(model=model, resolution=resolution, duration_s=float(seconds))
    assert spec.pricing.estimate_request(request) == Decimal(usd)


def test_models_setting_narrows_and_rejects_unknown() -> None:
    assert [m.id for m in configured_models({"models": ["ray-flash-2"]})] == ["ray-flash-2"]
    with pytest.raises(ConfigError, match="ray-9"):
        configured_models({"models": ["ray-9"]})


def test_base_url_setting_is_used(tmp_path: Path) -> None:
    api = FakeLumaAPI(base_url="https://proxy.example.test")
    dispatcher, transport = _dispatcher(api, settings={
        "base_url": "https://proxy.example.test/dream-machine/v1"})
    _run(dispatcher, _request(), tmp_path)
    assert {r.url.host for r in transport.requests} == {"proxy.example.test"}


@pytest.mark.live
@pytest.mark.skipif(not os.environ.get("LUMAAI_API_KEY"), reason="LUMAAI_API_KEY not set")
def test_live_one_clip(tmp_path: Path) -> None:  # pragma: no cover - paid
    env = {"LUMAAI_API_KEY": os.environ["LUMAAI_API_KEY"]}
    pm = PluginManager(load_entrypoints=False, builtins=True, env=env)
    pm.register(plugin, name="luma-live")
    dispatcher = Dispatcher(pm, provider_settings={"luma": {}}, env=env)
    result = _run(dispatcher, _request(model="ray-flash-2", resolution="540p"), tmp_path)
    assert result.path.is_file() and result.width > 0
