"""The hf provider through the real huggingface_hub InferenceClient, with an httpx2 mock transport."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import attrs
import ministudio_hf.plugin as plugin
import pytest
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.errors import (
    AuthenticationError,
    ConfigError,
    ContentRejectedError,
    MediaError,
    PaymentRequiredError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.plugins import PluginManager
from ministudio.requests import ClipRequest
from ministudio.testing import RecordingTransport
from ministudio_hf.models import CATALOG, apply_settings, find_model
from ministudio_hf.testing import FakeInferenceProviders, provider_id
from structlog.testing import capture_logs

TOKEN = "hf_unit_test_token_51c2"


def dispatcher(transport: RecordingTransport, *, env: dict[str, str] | None = None,
               settings: dict[str, Any] | None = None, attempts: int = 1) -> Dispatcher:
    pm = PluginManager(load_entrypoints=False, env={})
    assert pm.register(plugin, "hf").status == "active"
    return Dispatcher(
        pm,
        provider_settings={"hf": settings or {}},
        env={"HF_TOKEN": TOKEN} if env is None else env,
        transport=transport.httpx2(),
        retry=RetryPolicy(attempts=attempts, initial_s=0.01, max_wait_s=0.02),
    )


def render(transport: RecordingTransport, request: ClipRequest, tmp_path: Path, **kw: Any):
    return asyncio.run(dispatcher(transport, **kw).generate_clip(request, workdir=tmp_path / "w"))


def wan_request(**changes: Any) -> ClipRequest:
    base = ClipRequest(
        provider="hf", model="wan-2.2-a14b", prompt="A red kite over green hills",
        duration_s=2.0, aspect_ratio="9:16", resolution="480p", fps=16, seed=42,
        negative_prompt="blurry, text", shot_id="s1",
    )
    return attrs.evolve(base, **changes)


def posts(transport: RecordingTransport) -> list[Any]:
    return [r for r in transport.requests if r.method == "POST"]


def test_text_to_video_routed_request_shape(tmp_path: Path) -> None:
    fake = FakeInferenceProviders()
    transport = RecordingTransport(fake)
    with capture_logs() as logs:
        result = render(transport, wan_request(), tmp_path)

    pid = provider_id("Wan-AI/Wan2.2-T2V-A14B", "fal-ai", "text-to-video")
    urls = [(r.method, str(r.url)) for r in transport.requests if "agent-harnesses" not in str(r.url)]
    assert urls == [
        ("GET", "https://huggingface.co/api/models/Wan-AI/Wan2.2-T2V-A14B?expand=inferenceProviderMapping"),
        ("POST", f"https://router.huggingface.co/fal-ai/{pid}?_subdomain=queue"),
        ("GET", f"https://router.huggingface.co/fal-ai/{pid}/requests/req-1/status?_subdomain=queue"),
        ("GET", f"https://router.huggingface.co/fal-ai/{pid}/requests/req-1?_subdomain=queue"),
        ("GET", "https://cdn.example-video.test/files/v0.mp4"),
    ]
    (post,) = posts(transport)
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert post.headers["content-type"] == "application/json"
    assert json.loads(post.content) == {
        "prompt": "A red kite over green hills",
        "negative_prompt": "blurry, text",
        "num_frames": 33,  # 2 s at 16 fps, on Wan's 4k+1 grid
        "seed": 42,
        "frames_per_second": 16,
        "aspect_ratio": "9:16",
        "resolution": "480p",
    }
    # the token never reaches the logs
    assert TOKEN not in json.dumps(logs, default=str)
    assert any(e["event"] == "hf.request" and e["repo"] == "Wan-AI/Wan2.2-T2V-A14B" for e in logs)

    # binary video returned, written, probed
    assert result.path.read_bytes()[4:8] == b"ftyp"
    assert (result.width, result.height) == (120, 212)
    assert result.duration_s == pytest.approx(33 / 16, abs=0.01)
    assert result.fps == 16
    assert result.metadata["task"] == "text-to-video"
    assert result.metadata["inference_provider"] == "fal-ai"
    assert result.seed == 42


def test_image_to_video_sends_first_frame(tmp_path: Path) -> None:
    from PIL import Image

    frame = tmp_path / "anchor.png"
    Image.new("RGB", (64, 36), (10, 200, 30)).save(frame)
    fake = FakeInferenceProviders(fal_polls=0)
    transport = RecordingTransport(fake)
    result = render(transport, wan_request(first_frame=frame, aspect_ratio="16:9"), tmp_path)

    (post,) = posts(transport)
    pid = provider_id("Wan-AI/Wan2.2-I2V-A14B", "fal-ai", "image-to-video")
    assert str(post.url) == f"https://router.huggingface.co/fal-ai/{pid}?_subdomain=queue"
    body = json.loads(post.content)
    assert body.pop("image_url") == "data:image/png;base64," + base64.b64encode(frame.read_bytes()).decode()
    assert body == {
        "prompt": "A red kite over green hills",
        "negative_prompt": "blurry, text",
        "num_frames": 33,
        "seed": 42,
        "frames_per_second": 16,
        "aspect_ratio": "16:9",
        "resolution": "480p",
    }
    assert result.metadata["task"] == "image-to-video"
    assert result.metadata["repo"] == "Wan-AI/Wan2.2-I2V-A14B"
    assert (result.width, result.height) == (212, 120)


def test_provider_key_calls_provider_directly(tmp_path: Path) -> None:
    transport = RecordingTransport(FakeInferenceProviders(fal_polls=0))
    render(transport, wan_request(), tmp_path, env={"HF_TOKEN": "fal-key-123"})
    (post,) = posts(transport)
    assert post.url.host == "queue.fal.run"
    assert post.headers["authorization"] == "Key fal-key-123"


def test_replicate_route_and_extras(tmp_path: Path) -> None:
    transport = RecordingTransport(FakeInferenceProviders())
    request = ClipRequest(provider="hf", model="mochi-1", prompt="waves at dusk", duration_s=2.0,
                          fps=30, resolution="480p", extra={"num_inference_steps": 32, "fps": 30})
    result = render(transport, request, tmp_path)
    (post,) = posts(transport)
    pid = provider_id("genmo/mochi-1-preview", "replicate", "text-to-video")
    assert str(post.url) == f"https://router.huggingface.co/replicate/v1/models/{pid}/predictions"
    assert post.headers["prefer"] == "wait"
    assert json.loads(post.content) == {
        "input": {"prompt": "waves at dusk", "num_frames": 61, "fps": 30, "num_inference_steps": 32}
    }
    assert result.duration_s == pytest.approx(61 / 30, abs=0.01)


def test_fixed_frame_counts_are_sent_as_declared(tmp_path: Path) -> None:
    spec_model = next(m for m in plugin.register_providers().__next__().clip_models if m.id == "hunyuan-video")
    assert spec_model.durations == (round(85 / 24, 4), round(129 / 24, 4))
    assert not spec_model.negative_prompt and not spec_model.last_frame and not spec_model.first_frame
    transport = RecordingTransport(FakeInferenceProviders(fal_polls=0))
    request = ClipRequest(provider="hf", model="hunyuan-video", prompt="a fox", duration_s=spec_model.durations[1],
                          resolution="720p")
    render(transport, request, tmp_path)
    body = json.loads(posts(transport)[0].content)
    assert body["num_frames"] == "129"
    assert (body["aspect_ratio"], body["resolution"]) == ("16:9", "720p")


def test_settings_override_route_and_defaults(tmp_path: Path) -> None:
    settings = {"models": {"wan-2.2-a14b": {
        "text_to_video": {"provider": "novita", "repo": "Wan-AI/Wan2.2-T2V-A14B",
                          "fps_param": None, "aspect_ratio_param": None, "resolution_param": None},
        "steps": 20, "guidance": 4.5, "extra": {"enable_safety_checker": False},
    }}}
    model = apply_settings(find_model(CATALOG, "wan-2.2-a14b"), settings)
    transport = RecordingTransport(FakeInferenceProviders(models=(model,)))
    result = render(transport, wan_request(extra={"shift": 5}), tmp_path, settings=settings)
    (post,) = posts(transport)
    pid = provider_id("Wan-AI/Wan2.2-T2V-A14B", "novita", "text-to-video")
    assert str(post.url) == f"https://router.huggingface.co/novita/v3/hf/{pid}"
    assert json.loads(post.content) == {
        "prompt": "A red kite over green hills", "negative_prompt": "blurry, text", "num_frames": 33,
        "num_inference_steps": 20, "guidance_scale": 4.5, "seed": 42,
        "enable_safety_checker": False, "shift": 5,
    }
    assert result.metadata["inference_provider"] == "novita"


def test_bad_settings_list_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        apply_settings(find_model(CATALOG, "hunyuan-video"), {"models": {"hunyuan-video": {
            "image_to_video": {"repo": "x/y", "provider": "fal-ai"},
            "text_to_video": {"provider": "hf-inference"},
            "colour": "red",
        }}})
    text = str(info.value)
    assert "cannot be added from settings" in text
    assert "'hf-inference' does not serve video" in text
    assert "colour: unknown key" in text


def _fail(status: int, body: Any, headers: dict[str, str] | None = None) -> FakeInferenceProviders:
    return FakeInferenceProviders(fail={"router.huggingface.co": (status, body, headers or {})})


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected", "text"),
    [
        (401, {"error": "Invalid credentials in Authorization header"}, {}, AuthenticationError, "rejected"),
        (403, {"error": "This authentication method does not have sufficient permissions"}, {},
         AuthenticationError, "access denied"),
        (402, {"error": "You have exceeded your monthly included credits for Inference Providers."},
         {}, PaymentRequiredError, "payment required"),
        (429, {"error": "Too many requests"}, {"Retry-After": "7"}, RateLimitedError, "rate limited"),
        (503, {"error": "Model is currently loading", "estimated_time": 42.0}, {},
         ProviderUnavailableError, "loading (cold start), ready in about 42s"),
        (502, {"error": "Bad gateway"}, {}, ProviderUnavailableError, "server error (HTTP 502)"),
        (422, {"detail": [{"msg": "num_frames must be <= 161"}]}, {}, ProviderError, "num_frames must be"),
        (400, {"error": "Prompt flagged by the NSFW safety checker"}, {}, ContentRejectedError, "content filter"),
    ],
)
def test_errors_are_classified(tmp_path: Path, status: int, body: Any, headers: dict[str, str],
                               expected: type[ProviderError], text: str) -> None:
    transport = RecordingTransport(_fail(status, body, headers))
    with capture_logs() as logs, pytest.raises(expected) as info:
        render(transport, wan_request(), tmp_path)
    err = info.value
    assert type(err) is expected
    assert text in str(err)
    assert err.status_code == status and err.provider == "hf" and err.model == "wan-2.2-a14b"
    assert err.retryable == (status in (429, 502, 503))
    if status == 429:
        assert err.retry_after == 7.0
    if status == 402:
        assert "billing" in (err.hint or "")
    assert TOKEN not in str(err) + (err.hint or "") + json.dumps(logs, default=str)


def test_mapping_lookup_errors(tmp_path: Path) -> None:
    # the Hub does not know the repo: not retryable, the hint names the setting to change
    model = attrs.evolve(find_model(CATALOG, "wan-2.2-a14b"), text_to_video=None)
    transport = RecordingTransport(FakeInferenceProviders(models=(model,)))
    with pytest.raises(ProviderError) as info:
        render(transport, wan_request(), tmp_path)
    assert not info.value.retryable
    assert info.value.status_code == 404
    assert "providers.hf.models" in (info.value.hint or "")


def test_cold_start_is_retried_by_core(tmp_path: Path) -> None:
    fake = FakeInferenceProviders(fal_polls=0)
    state = {"n": 0}

    def flaky(request: Any) -> Any:
        import httpx2

        if request.method == "POST":
            state["n"] += 1
            if state["n"] == 1:
                return httpx2.Response(503, json={"error": "loading", "estimated_time": 0.01})
        return fake(request)

    result = render(RecordingTransport(flaky), wan_request(), tmp_path, attempts=2)
    assert state["n"] == 2
    assert result.path.is_file()


def test_not_a_video_is_rejected_and_kept(tmp_path: Path) -> None:
    transport = RecordingTransport(FakeInferenceProviders(video_bytes=b"<html>oops</html>", fal_polls=0))
    with pytest.raises(MediaError) as info:
        render(transport, wan_request(), tmp_path)
    assert "not a usable video" in str(info.value)
    kept = list((tmp_path / "w").glob("*.invalid"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"<html>oops</html>"


def test_missing_token_fails_before_any_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as hf_constants

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(hf_constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-stored"))
    transport = RecordingTransport()
    with pytest.raises(AuthenticationError) as info:
        render(transport, wan_request(), tmp_path, env={})
    assert "HF_TOKEN" in (info.value.hint or "")
    assert transport.calls == 0


def test_token_from_settings(tmp_path: Path) -> None:
    transport = RecordingTransport(FakeInferenceProviders(fal_polls=0))
    render(transport, wan_request(), tmp_path, env={}, settings={"token": "hf_from_settings"})
    assert posts(transport)[0].headers["authorization"] == "Bearer hf_from_settings"


def test_httpx_transport_is_refused_clearly(tmp_path: Path) -> None:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, "hf")
    d = Dispatcher(pm, env={"HF_TOKEN": TOKEN}, transport=RecordingTransport().httpx(),
                   retry=RetryPolicy(attempts=1))
    with pytest.raises(ProviderError, match="needs an httpx2 transport"):
        asyncio.run(d.generate_clip(wan_request(), workdir=tmp_path))


def test_finished_job_without_video_is_a_failed_job(tmp_path: Path) -> None:
    from ministudio.errors import JobFailedError

    fake = FakeInferenceProviders(fal_polls=0)

    def no_video(request: Any) -> Any:
        import httpx2

        if request.method == "GET" and "/requests/" in str(request.url):
            return httpx2.Response(200, json={"error": "generation failed"})
        return fake(request)

    with pytest.raises(JobFailedError) as info:
        render(RecordingTransport(no_video), wan_request(), tmp_path)
    assert "unexpected answer" in str(info.value) and not info.value.retryable


@pytest.mark.parametrize(("model_id", "seconds", "frames"), [
    ("wan-2.2-a14b", 5.0, 81), ("wan-2.2-a14b", 0.1, 17), ("wan-2.2-a14b", 60.0, 161),
    ("mochi-1", 2.0, 61), ("hunyuan-video", 4.0, 85), ("cogvideox-5b", 6.125, 49),
])
def test_frames_for_duration(model_id: str, seconds: float, frames: int) -> None:
    assert find_model(CATALOG, model_id).frames_for(seconds) == frames
