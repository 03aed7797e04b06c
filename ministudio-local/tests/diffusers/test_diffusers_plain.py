"""Parts of the diffusers providers that need no torch: capabilities, settings, frame planning,
and the error a user gets when the extra is not installed."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

import ministudio_local.diffusers.plugin as plugin
from ministudio import ClipRequest
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.errors import CapabilityError, ConfigError, ProviderError
from ministudio.plugins import PluginManager
from ministudio_local.diffusers.catalog import CATALOG, entry_for
from ministudio_local.diffusers.frames import plan_frames
from ministudio_local.diffusers.options import parse_options


def dispatcher(settings=None) -> Dispatcher:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local-diffusers")
    return Dispatcher(pm, provider_settings=settings or {}, env={}, retry=RetryPolicy(attempts=1))


def test_providers_listed_with_capabilities_without_heavy_imports():
    code = (
        "import sys, ministudio_local.diffusers.plugin as p; s = p.register_providers(); "
        "print(sorted(x.name for x in s), sum(len(x.clip_models) for x in s), "
        "[m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['cogvideox', 'ltx-video', 'wan'] 9 []"


def test_capabilities_follow_frames_and_fps():
    wan = entry_for("wan", "wan2.1-t2v-1.3b").clip_model()
    assert wan.max_duration_s == 5.0  # 81 frames at 16 fps
    assert wan.fps == (16, 24, 25, 30) and wan.resolutions == ("480p",)
    assert not wan.first_frame and "8 GB" in wan.notes
    ltx = entry_for("ltx-video", None).clip_model()
    assert ltx.max_duration_s == 10.7 and ltx.first_frame and ltx.last_frame
    assert ltx.extension_s == 10.3 and ltx.fps == (24, 25, 30)
    flf = entry_for("wan", "wan2.1-flf2v-14b-720p").clip_model()
    assert flf.first_frame and flf.last_frame
    cog = entry_for("cogvideox", None).clip_model()
    assert cog.max_duration_s == 6.1 and "needs a first frame" in cog.notes
    assert all(e.clip_model().max_concurrency == 1 for e in CATALOG)


@pytest.mark.parametrize(
    ("kw", "generate", "source_head", "n"),
    [
        # 2 s at 24 fps from a 16 fps model: 32 frames needed -> 33 rendered, each shown 1.5x
        (dict(duration_s=2.0, fps=24, native_fps=16, multiple=4, max_frames=81), 33, (0, 0, 1, 2, 2, 3), 48),
        # LTX at the film's rate: 24 needed -> 25 rendered, one to one
        (dict(duration_s=1.0, fps=24, native_fps=24, multiple=8, max_frames=257), 25, (0, 1, 2, 3, 4, 5), 24),
        # an extension skips the 9 overlap frames
        (dict(duration_s=1.0, fps=24, native_fps=24, multiple=8, max_frames=257, skip=9), 33, (9, 10, 11, 12, 13, 14), 24),
        # CogVideoX always renders 49 frames at 8 fps
        (dict(duration_s=2.0, fps=24, native_fps=8, multiple=48, max_frames=49), 49, (0, 0, 0, 1, 1, 1), 48),
    ],
)
def test_plan_frames(kw, generate, source_head, n):
    plan = plan_frames(**kw)
    assert plan.generate == generate
    assert plan.source[:6] == source_head and len(plan.source) == n
    assert max(plan.source) < plan.generate
    assert plan.duration_s == kw["duration_s"]


def test_plan_stretch_ends_on_the_last_generated_frame():
    plan = plan_frames(duration_s=1.0, fps=24, native_fps=16, multiple=4, max_frames=81, stretch=True)
    assert plan.generate == 17 and plan.source[0] == 0 and plan.source[-1] == 16


def test_plan_too_long_is_a_capability_error():
    with pytest.raises(CapabilityError, match="at most 81"):
        plan_frames(duration_s=6.0, fps=24, native_fps=16, multiple=4, max_frames=81)


def test_settings_are_checked(tmp_path):
    entry = entry_for("wan", None)
    opts = parse_options(entry, {})
    assert opts.source == "Wan-AI/Wan2.1-T2V-1.3B-Diffusers" and not opts.local
    assert (opts.device, opts.dtype, opts.offload, opts.steps) == ("auto", "auto", "none", 50)
    opts = parse_options(entry, {"weights": {entry.id: str(tmp_path)}, "size": "416x240",
                                 "device": "cuda:1", "offload": "model", "stepz": 3})
    assert opts.local and opts.source == str(tmp_path.resolve()) and opts.size == (416, 240)
    assert opts.unknown == ("stepz",)
    for bad, match in [
        ({"device": "tpu"}, "device: 'tpu' is not one of"),
        ({"dtype": "int8"}, "dtype: 'int8'"),
        ({"offload": "model", "device": "cpu"}, "needs a CUDA device"),
        ({"size": "big"}, "not WIDTHxHEIGHT"),
        ({"steps": 0}, "at least 1"),
        ({"model_path": str(tmp_path / "missing")}, "does not exist"),
    ]:
        with pytest.raises(ConfigError, match=match):
            parse_options(entry, bad)


def test_bad_settings_stop_the_render_with_a_config_error(tmp_path):
    req = ClipRequest(provider="wan", model="wan2.1-t2v-1.3b", prompt="a cat", duration_s=1.0,
                      fps=16, resolution="480p")
    with pytest.raises(ConfigError, match=r"\[providers.wan\] weights.wan2.1-t2v-1.3b"):
        asyncio.run(dispatcher({"wan": {"model_path": "./no/such/folder"}})
                    .generate_clip(req, workdir=tmp_path))


def test_without_the_extra_generate_clip_names_the_install_command(tmp_path, monkeypatch):
    # simulate an environment where diffusers is not installed: importing it fails
    monkeypatch.setitem(sys.modules, "diffusers", None)
    req = ClipRequest(provider="ltx-video", model="ltx-video-0.9.5", prompt="a cat",
                      duration_s=1.0, fps=24, resolution="480p")
    with pytest.raises(ProviderError) as info:
        asyncio.run(dispatcher().generate_clip(req, workdir=tmp_path))
    assert "pip install 'ministudio-local[diffusers]'" in str(info.value)
    assert "diffusers" in str(info.value) and not info.value.retryable
    assert type(info.value).__name__ == "MissingExtraError"
