"""Routing, async/sync bridging, first-result overrides, retries (issue 3, acceptance 4)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest

from ministudio import (
    AuthenticationError,
    ClipModel,
    ClipRequest,
    ClipResult,
    IdentityRequest,
    IdentityScore,
    Operation,
    ProviderError,
    ProviderSpec,
    ProviderUnavailableError,
    RateLimitedError,
    ScorerInfo,
    hookimpl,
)
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.errors import CapabilityError
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport

FAST = RetryPolicy(attempts=3, initial_s=0.01, max_wait_s=0.02)


class Cam:
    """A clip plugin that records which thread and how often it was called."""

    MINISTUDIO_PLUGIN_API = 1

    def __init__(self, name: str, *, is_async: bool, behaviour=None) -> None:
        self.name = name
        self.calls = 0
        self.thread: str | None = None
        self.behaviour = behaviour
        if is_async:
            async def generate_clip(request, context):
                return await self._agen(request, context)
        else:
            def generate_clip(request, context):
                return self._gen(request, context)
        self.generate_clip = hookimpl(generate_clip)

    @hookimpl
    def register_providers(self):
        return [ProviderSpec(name=self.name, operations={Operation.CLIP},
                             clip_models=(ClipModel(id="m", durations=(4, 8)),))]

    def _result(self, request: ClipRequest, context) -> ClipResult:
        self.calls += 1
        self.thread = threading.current_thread().name
        if self.behaviour:
            self.behaviour(self.calls)
        return ClipResult(path=context.workdir / "x.mp4", provider=self.name, model="m",
                          duration_s=request.duration_s, width=1280, height=720, fps=24)

    def _gen(self, request, context):
        return self._result(request, context)

    async def _agen(self, request, context):
        await asyncio.sleep(0)
        return self._result(request, context)


def _req(provider: str, duration: float = 4) -> ClipRequest:
    return ClipRequest(provider=provider, model="m", prompt="p", duration_s=duration)


def _manager(*plugins: Cam) -> PluginManager:
    pm = PluginManager(load_entrypoints=False, env={})
    for plugin in plugins:
        assert pm.register(plugin, plugin.name).status == "active"
    return pm


def test_routing_reaches_only_the_owning_plugin(tmp_path: Path) -> None:
    def explode(_n: int) -> None:
        raise RuntimeError("b is broken")

    a, b = Cam("a", is_async=True), Cam("b", is_async=False, behaviour=explode)
    dispatcher = Dispatcher(_manager(a, b), retry=FAST)
    result = asyncio.run(dispatcher.generate_clip(_req("a"), workdir=tmp_path))
    assert result.provider == "a" and a.calls == 1 and b.calls == 0
    with pytest.raises(ProviderError, match="b is broken"):
        asyncio.run(dispatcher.generate_clip(_req("b"), workdir=tmp_path))
    assert a.calls == 1  # a broken neighbour never reaches a


def test_a_hanging_plugin_times_out_without_blocking_others(tmp_path: Path) -> None:
    class Hang(Cam):
        async def _agen(self, request, context):
            await asyncio.sleep(30)

    hang, ok = Hang("hang", is_async=True), Cam("ok", is_async=True)
    dispatcher = Dispatcher(_manager(hang, ok), retry=RetryPolicy(attempts=1),
                            timeouts={"clip": 0.2})

    async def both():
        return await asyncio.gather(
            dispatcher.generate_clip(_req("hang"), workdir=tmp_path),
            dispatcher.generate_clip(_req("ok"), workdir=tmp_path),
            return_exceptions=True,
        )

    hung, fine = asyncio.run(both())
    assert isinstance(hung, ProviderUnavailableError) and "within 0.2s" in str(hung)
    assert isinstance(fine, ClipResult)


def test_async_impl_is_awaited_and_sync_impl_runs_off_the_loop(tmp_path: Path) -> None:
    a, s = Cam("asy", is_async=True), Cam("syn", is_async=False)
    dispatcher = Dispatcher(_manager(a, s))
    asyncio.run(dispatcher.generate_clip(_req("asy"), workdir=tmp_path))
    asyncio.run(dispatcher.generate_clip(_req("syn"), workdir=tmp_path))
    assert a.calls == 1 and s.calls == 1
    assert s.thread != threading.main_thread().name  # ran in a worker thread


def test_capability_error_before_any_http(tmp_path: Path) -> None:
    class HttpCam(Cam):
        async def _agen(self, request, context):
            async with context.http_client() as http:
                await http.get("https://api.example/clip")
            return self._result(request, context)

    transport = RecordingTransport(lambda r: httpx.Response(200))
    cam = HttpCam("http", is_async=True)
    dispatcher = Dispatcher(_manager(cam), transport=transport.httpx())
    with pytest.raises(CapabilityError, match=r"allowed: 4, 8") as info:
        asyncio.run(dispatcher.generate_clip(_req("http", duration=5), workdir=tmp_path))
    assert info.value.violations and transport.calls == 0 and cam.calls == 0
    asyncio.run(dispatcher.generate_clip(_req("http", duration=8), workdir=tmp_path))
    assert transport.calls == 1


def test_retryable_errors_are_retried_honouring_retry_after(tmp_path: Path) -> None:
    def flaky(n: int) -> None:
        if n < 3:
            raise RateLimitedError("slow down", retry_after=0.01)

    cam = Cam("flaky", is_async=True, behaviour=flaky)
    result = asyncio.run(Dispatcher(_manager(cam), retry=FAST).generate_clip(_req("flaky"),
                                                                              workdir=tmp_path))
    assert result.provider == "flaky" and cam.calls == 3


def test_non_retryable_errors_are_not_retried(tmp_path: Path) -> None:
    def deny(_n: int) -> None:
        raise AuthenticationError("bad key")

    cam = Cam("deny", is_async=False, behaviour=deny)
    with pytest.raises(AuthenticationError) as info:
        asyncio.run(Dispatcher(_manager(cam), retry=FAST).generate_clip(_req("deny"),
                                                                        workdir=tmp_path))
    assert cam.calls == 1 and info.value.provider == "deny"


class Scorer:
    MINISTUDIO_PLUGIN_API = 1

    def __init__(self, name: str, score: float, **marker) -> None:
        self.name, self.value = name, score
        def score_identity(request, context):
            return self._score(request, context)

        self.score_identity = hookimpl(**marker)(score_identity)

    @hookimpl
    def register_providers(self):
        return [ProviderSpec(name=self.name, operations={Operation.IDENTITY},
                             scorer=ScorerInfo(kind="look", threshold=0.5))]

    def _score(self, request, context):
        return IdentityScore(score=self.value, p10=self.value, minimum=self.value,
                             scorer=self.name, kind="look", threshold=0.5)


def test_tryfirst_identity_override_wins_and_pin_selects(tmp_path: Path) -> None:
    default = Scorer("default-look", 0.1, trylast=True)
    override = Scorer("better", 0.9, tryfirst=True)
    pm = PluginManager(load_entrypoints=False, builtins=False, env={})
    pm.register(default, "default-look")
    pm.register(override, "better")
    req = IdentityRequest(media=tmp_path / "a.png", references=[tmp_path / "b.png"])
    assert asyncio.run(Dispatcher(pm).score_identity(req)).scorer == "better"
    pinned = Dispatcher(pm, pins={"identity": "default-look"})
    assert asyncio.run(pinned.score_identity(req)).scorer == "default-look"
