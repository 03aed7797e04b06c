"""ministudio-kling through core's conformance suite and its own risky paths, against
``FakeKlingAPI`` (Kling's REST shapes: API reference, text-to-video / image-to-video /
general information, https://app.klingai.com/global/dev/document-api) behind a mock transport.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
import ministudio_kling.plugin as plugin
import pytest
from ministudio import (
    AuthenticationError,
    CapabilityError,
    ClipRequest,
    ConfigError,
    ContentRejectedError,
    PaymentRequiredError,
    ProviderUnavailableError,
    RateLimitedError,
)
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport
from ministudio.testing.conformance import ClipProviderConformance
from ministudio_kling.fake import FakeKlingAPI
from ministudio_kling.models import CATALOG, configured_models
from PIL import Image

SECRET = "sk-test-0123456789abcdef0123456789abcdef"
ENV = {"KLING_ACCESS_KEY": "ak-test", "KLING_SECRET_KEY": SECRET}
FAST = {"poll_initial_s": 0.02, "poll_max_s": 0.05, "fetch_backoff_s": 0.0}
STATUS_CODES = {401: 1002, 429: 1302, 503: 5001, 500: 5000}


def kling_error(status: int, code: int | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, json={
        "code": code or STATUS_CODES.get(status, 1200), "message": "simulated",
        "request_id": "r-1"})


class TestKlingConformance(ClipProviderConformance):
    plugin = plugin
    provider = "kling"
    env = ENV
    settings = FAST
    transport_kind = "httpx"

    _fake: Any = None

    def respond(self, request: Any) -> Any:
        if self._fake is None:
            self._fake = FakeKlingAPI(job_s=0.2)
        return self._fake(request)

    def error_response(self, request: Any, status: int) -> Any:
        return kling_error(status, **({"retry-after": "0"} if status == 429 else {}))


# -- helpers -----------------------------------------------------------------------------------


def _dispatcher(handler: Any, settings: dict | None = None, attempts: int = 1
                ) -> tuple[Dispatcher, RecordingTransport]:
    transport = RecordingTransport(handler)
    pm = PluginManager(load_entrypoints=False, builtins=True, env=ENV)
    pm.register(plugin, name="kling-under-test")
    return Dispatcher(pm, provider_settings={"kling": {**FAST, **(settings or {})}}, env=ENV,
                      transport=transport.httpx(),
                      retry=RetryPolicy(attempts=attempts, initial_s=0.01, max_wait_s=0.02)
                      ), transport


def _png(path: Path, size: tuple[int, int] = (640, 360)) -> Path:
    Image.new("RGB", size, (10, 120, 60)).save(path)
    return path


def _request(**kw: Any) -> ClipRequest:
    base = dict(provider="kling", model="kling-v2-6", prompt="A lighthouse at dusk",
                duration_s=5.0, aspect_ratio="16:9", resolution="720p", fps=24, shot_id="s1")
    return ClipRequest(**{**base, **kw})


def _run(dispatcher: Dispatcher, request: ClipRequest, tmp_path: Path, **kw: Any) -> Any:
    return asyncio.run(dispatcher.generate_clip(request, workdir=tmp_path / "w", **kw))


def _posts(transport: RecordingTransport) -> list[Any]:
    return [r for r in transport.requests if r.method == "POST"]


# -- request bodies -------------------------------------------------------------------------------


def test_text_to_video_body_and_token(tmp_path: Path) -> None:
    api = FakeKlingAPI()
    dispatcher, transport = _dispatcher(api)
    result = _run(dispatcher, _request(negative_prompt="text, watermark"), tmp_path)
    post = _posts(transport)[0]
    assert post.url.path == "/v1/videos/text2video"
    assert post.url.host == "api-singapore.klingai.com"
    assert json.loads(post.content) == {
        "model_name": "kling-v2-6", "prompt": "A lighthouse at dusk", "duration": "5",
        "mode": "std", "negative_prompt": "text, watermark", "sound": "off",
        "aspect_ratio": "16:9"}
    token = post.headers["authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == "ak-test" and claims["exp"] - claims["nbf"] == 1805
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    polls = [r for r in transport.requests if r.url.path.startswith("/v1/videos/text2video/")]
    assert polls and all(r.method == "GET" for r in polls)
    downloads = [r for r in transport.requests if r.url.path.startswith("/files/")]
    assert downloads and "authorization" not in downloads[0].headers  # no token to the CDN
    assert result.job_id.startswith("text2video/") and result.duration_s == pytest.approx(5, 0.1)


def test_image_to_video_with_last_frame_is_professional_mode(tmp_path: Path) -> None:
    first, last = _png(tmp_path / "a.png"), _png(tmp_path / "b.png")
    api = FakeKlingAPI()
    dispatcher, transport = _dispatcher(api)
    result = _run(dispatcher, _request(model="kling-v2-5-turbo", resolution="1080p",
                                       duration_s=10.0, first_frame=first, last_frame=last),
                  tmp_path)
    post = _posts(transport)[0]
    body = json.loads(post.content)
    assert post.url.path == "/v1/videos/image2video"
    assert body["mode"] == "pro" and body["duration"] == "10"
    assert base64.b64decode(body["image"]) == first.read_bytes()  # raw base64, no data: prefix
    assert base64.b64decode(body["image_tail"]) == last.read_bytes()
    assert "aspect_ratio" not in body and "sound" not in body
    assert result.job_id.startswith("image2video/")
    assert result.cost == Decimal("0.70")


def test_cfg_scale_goes_only_to_models_that_take_it(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeKlingAPI(), settings={"cfg_scale": 0.7})
    _run(dispatcher, _request(model="kling-v1-6"), tmp_path / "a")
    _run(dispatcher, _request(model="kling-v2-5-turbo"), tmp_path / "b")
    v16, v25 = (json.loads(p.content) for p in _posts(transport))
    assert v16["cfg_scale"] == 0.7 and "cfg_scale" not in v25


def test_master_model_sends_no_mode_and_sound_goes_on_in_pro(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeKlingAPI())
    _run(dispatcher, _request(model="kling-v2-1-master", resolution="1080p"), tmp_path / "a")
    _run(dispatcher, _request(resolution="1080p", generate_audio=True), tmp_path / "b")
    master, v26 = (json.loads(p.content) for p in _posts(transport))
    assert "mode" not in master
    assert v26["sound"] == "on" and v26["mode"] == "pro"


# -- capabilities before HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"last_frame": "LAST"},                                     # std mode has no image_tail
    {"resolution": "1080p", "generate_audio": True, "last_frame": "LAST"},
    {"generate_audio": True},                                   # sound is pro (1080p) only
    {"extra": {"cfg_scale": 0.5}},                              # v2 models take no cfg_scale
    {"duration_s": 7.0},                                        # 5 or 10
    {"aspect_ratio": "4:3"},
    {"model": "kling-v2-1-master", "resolution": "720p"},       # master is 1080p only
    {"model": "kling-v2-5-turbo", "generate_audio": True, "resolution": "1080p"},
])
def test_beyond_what_kling_can_do_raises_before_http(tmp_path: Path, change: dict) -> None:
    if change.get("last_frame") == "LAST":
        change = {**change, "last_frame": _png(tmp_path / "l.png")}
    dispatcher, transport = _dispatcher(FakeKlingAPI())
    with pytest.raises(CapabilityError):
        _run(dispatcher, _request(**change), tmp_path)
    assert transport.calls == 0


# -- Kling's own error codes ----------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code", "error", "calls"), [
    (429, 1102, PaymentRequiredError, 1),    # empty account: 429 but never retried
    (429, 1101, PaymentRequiredError, 1),
    (429, 1303, RateLimitedError, 3),        # concurrency limit: retried
    (429, 1302, RateLimitedError, 3),
    (401, 1004, AuthenticationError, 1),
    (400, 1301, ContentRejectedError, 1),
    (500, 5000, ProviderUnavailableError, 3),
])
def test_error_codes_map_before_the_status(tmp_path: Path, status: int, code: int,
                                           error: type, calls: int) -> None:
    dispatcher, transport = _dispatcher(lambda r: kling_error(status, code, **{
        "retry-after": "0"}), attempts=3)
    with pytest.raises(error) as info:
        _run(dispatcher, _request(), tmp_path)
    assert info.value.retryable == error.retryable
    assert transport.calls == calls
    assert f"code {code}" in str(info.value)


def test_empty_account_from_the_fake_is_a_payment_error(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeKlingAPI(empty_account=True), attempts=3)
    with pytest.raises(PaymentRequiredError):
        _run(dispatcher, _request(), tmp_path)
    assert transport.calls == 1


def test_a_task_failed_by_risk_control_is_a_content_rejection_that_ends_the_job(
        tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeKlingAPI(job_s=0.05), attempts=3)
    with pytest.raises(ContentRejectedError) as info:
        _run(dispatcher, _request(prompt="a doomed ship"), tmp_path)
    assert info.value.job_ended and info.value.job_id.startswith("text2video/")
    assert len(_posts(transport)) == 1


def test_a_wrong_secret_is_an_authentication_error(tmp_path: Path) -> None:
    dispatcher, transport = _dispatcher(FakeKlingAPI(secret_key="another-secret-0123456789abcdef012345"))
    with pytest.raises(AuthenticationError):
        _run(dispatcher, _request(), tmp_path)
    assert transport.calls == 1


# -- re-attach ------------------------------------------------------------------------------------


def test_resume_job_id_reattaches_without_submitting(tmp_path: Path) -> None:
    api = FakeKlingAPI(job_s=0.05)
    first, reported = _png(tmp_path / "a.png"), []
    dispatcher, transport = _dispatcher(api)
    request = _request(first_frame=first)
    done = _run(dispatcher, request, tmp_path / "one", report_job=reported.append)
    assert reported == [done.job_id] and done.job_id.startswith("image2video/")
    transport.requests.clear()
    again = _run(dispatcher, request, tmp_path / "two", resume_job_id=done.job_id)
    assert _posts(transport) == [] and api.submissions == 1
    assert transport.requests[0].url.path == f"/v1/videos/{done.job_id}"
    assert again.job_id == done.job_id and again.path.is_file()


# -- pricing and settings -------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "resolution", "audio", "seconds", "usd"), [
    ("kling-v2-6", "720p", False, 5, "0.21"),
    ("kling-v2-6", "1080p", False, 5, "0.35"),
    ("kling-v2-6", "1080p", True, 10, "1.40"),
    ("kling-v2-5-turbo", "720p", False, 10, "0.42"),
    ("kling-v2-1-master", "1080p", False, 5, "1.40"),
    ("kling-v1-6", "1080p", False, 10, "0.98"),
])
def test_prices_by_mode(model: str, resolution: str, audio: bool, seconds: int,
                        usd: str) -> None:
    spec = next(m for m in CATALOG if m.id == model)
    assert spec.pricing is not None and spec.pricing.as_of and "klingai.com" in spec.pricing.source
    request = _request(model=model, resolution=resolution, generate_audio=audio,
                       duration_s=float(seconds))
    assert spec.pricing.estimate_request(request) == Decimal(usd)


def test_models_setting_narrows_and_orders_and_rejects_unknown() -> None:
    assert [m.id for m in configured_models({"models": ["kling-v1-6", "kling-v2-6"]})] == [
        "kling-v1-6", "kling-v2-6"]
    with pytest.raises(ConfigError, match="kling-v9"):
        configured_models({"models": ["kling-v9"]})


def test_unknown_setting_is_reported_with_a_suggestion() -> None:
    spec = next(iter(plugin.register_providers()))
    problems = dict(spec.setting_problems({"base_ur": "x", "poll_max_s": "slow"}))
    assert "base_url" in problems["base_ur"] and "number" in problems["poll_max_s"]


def test_base_url_setting_is_used(tmp_path: Path) -> None:
    api = FakeKlingAPI(base_url="https://api-beijing.klingai.com")
    dispatcher, transport = _dispatcher(api, settings={
        "base_url": "https://api-beijing.klingai.com"})
    _run(dispatcher, _request(), tmp_path)
    assert {r.url.host for r in transport.requests} == {"api-beijing.klingai.com"}


# -- live -----------------------------------------------------------------------------------------


@pytest.mark.live
@pytest.mark.skipif(not (os.environ.get("KLING_ACCESS_KEY") and os.environ.get(
    "KLING_SECRET_KEY")), reason="KLING_ACCESS_KEY / KLING_SECRET_KEY not set")
def test_live_one_clip(tmp_path: Path) -> None:  # pragma: no cover - paid
    env = {k: os.environ[k] for k in ENV}
    pm = PluginManager(load_entrypoints=False, builtins=True, env=env)
    pm.register(plugin, name="kling-live")
    dispatcher = Dispatcher(pm, provider_settings={"kling": {}}, env=env)
    result = _run(dispatcher, _request(model="kling-v2-5-turbo"), tmp_path)
    assert result.path.is_file() and result.width > 0 and result.cost == Decimal("0.21")
