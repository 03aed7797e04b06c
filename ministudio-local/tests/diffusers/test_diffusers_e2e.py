"""End to end through the Dispatcher: tiny pipelines saved to a folder, loaded by the providers
with ``from_pretrained(local_dir)``, rendered on CPU and encoded to an MP4 that PyAV decodes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import attrs
import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

import av  # noqa: E402
from PIL import Image  # noqa: E402

import ministudio_local.diffusers.plugin as plugin  # noqa: E402
from ministudio import ClipRequest  # noqa: E402
from ministudio.dispatch import Dispatcher, RetryPolicy  # noqa: E402
from ministudio.errors import CapabilityError, ProviderError  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402
from ministudio_local.diffusers import runner  # noqa: E402

FAST = {"steps": 2, "device": "cpu", "preset": "ultrafast"}


def settings(weights: dict[str, Path]) -> dict[str, dict]:
    return {
        "ltx-video": {**FAST, "size": "64x32", "weights": {"ltx-video-0.9.5": str(weights["ltx"])}},
        "wan": {
            **FAST, "size": "64x32",
            "weights": {
                "wan2.1-t2v-1.3b": str(weights["wan-t2v"]),
                "wan2.1-i2v-14b-480p": str(weights["wan-i2v"]),
                "wan2.1-flf2v-14b-720p": str(weights["wan-flf2v"]),
            },
        },
        "cogvideox": {**FAST, "size": "16x16",
                      "weights": {"cogvideox-5b-i2v": str(weights["cogvideox-i2v"])}},
    }


def dispatcher(weights: dict[str, Path]) -> Dispatcher:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local-diffusers")
    return Dispatcher(pm, provider_settings=settings(weights), env={},
                      retry=RetryPolicy(attempts=1))


def render(weights, tmp_path: Path, **fields):
    request = ClipRequest(**{"prompt": "a red kite flies over green hills", "seed": 7,
                             "shot_id": "s1", **fields})
    return asyncio.run(dispatcher(weights).generate_clip(request, workdir=tmp_path / "out"))


def decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])


def still(path: Path, color=(200, 60, 40), size=(96, 64)) -> Path:
    img = np.zeros((size[1], size[0], 3), np.uint8)
    img[:] = color
    img[: size[1] // 2, : size[0] // 2] = (20, 20, 220)
    Image.fromarray(img).save(path)
    return path


def loaded_classes() -> set[str]:
    return {type(p).__name__ for p in runner._cache.values()}


def test_ltx_text_to_video_real_mp4(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="ltx-video", model="ltx-video-0.9.5",
                    duration_s=1.0, fps=24, resolution="480p", aspect_ratio="16:9")
    frames = decode(result.path)
    assert frames.shape == (24, 480, 854, 3)
    assert (result.width, result.height, result.fps, result.duration_s) == (854, 480, 24, 1.0)
    assert result.metadata["mode"] == "text-to-video"
    assert result.metadata["generated_frames"] == 25  # 8k+1 covering 24 frames
    assert result.metadata["generated_size"] == "64x32"
    assert result.metadata["weights"] == str(tiny_weights["ltx"].resolve())
    assert loaded_classes() == {"LTXPipeline"}
    assert frames.std() > 1.0  # random weights still draw something, not a flat frame


def test_same_seed_same_clip_other_seed_differs(tiny_weights, tmp_path):
    kw = dict(provider="ltx-video", model="ltx-video-0.9.5", duration_s=0.5, fps=24,
              resolution="480p", aspect_ratio="1:1")
    a = decode(render(tiny_weights, tmp_path / "a", **kw).path)
    b = decode(render(tiny_weights, tmp_path / "b", **kw).path)
    c = decode(render(tiny_weights, tmp_path / "c", **{**kw, "seed": 8}).path)
    assert a.shape == (12, 480, 480, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_ltx_image_to_video_uses_condition_pipeline(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="ltx-video", model="ltx-video-0.9.5",
                    duration_s=1.0, fps=25, resolution="480p", aspect_ratio="9:16",
                    first_frame=still(tmp_path / "first.png"))
    frames = decode(result.path)
    assert frames.shape == (25, 854, 480, 3)
    assert result.metadata["mode"] == "image-to-video"
    assert result.metadata["native_fps"] == 25  # LTX takes the frame rate as an input
    assert "LTXConditionPipeline" in loaded_classes()


def test_ltx_first_last_and_keyframes(tiny_weights, tmp_path):
    first, last = still(tmp_path / "f.png"), still(tmp_path / "l.png", color=(10, 200, 10))
    result = render(tiny_weights, tmp_path, provider="ltx-video", model="ltx-video-0.9.5",
                    duration_s=1.5, fps=24, resolution="480p", aspect_ratio="16:9",
                    first_frame=first, last_frame=last,
                    extra={"keyframes": [{"image": str(last), "at_s": 0.7, "strength": 0.8}]})
    assert decode(result.path).shape[0] == 36
    assert result.metadata["mode"] == "first-last-frame"


def test_ltx_extension_continues_a_clip(tiny_weights, tmp_path):
    previous = render(tiny_weights, tmp_path / "p", provider="ltx-video",
                      model="ltx-video-0.9.5", duration_s=1.0, fps=24, resolution="480p")
    result = render(tiny_weights, tmp_path / "n", provider="ltx-video", model="ltx-video-0.9.5",
                    duration_s=1.0, fps=24, resolution="480p",
                    extra={"extend_from": str(previous.path)})
    assert decode(result.path).shape[0] == 24
    assert result.metadata["mode"] == "extension"
    assert result.metadata["generated_frames"] == 33  # 9 overlap frames + 24, as 8k+1


def test_wan_text_to_video_retimed_from_16_fps(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="wan", model="wan2.1-t2v-1.3b",
                    duration_s=2.0, fps=24, resolution="480p", aspect_ratio="16:9")
    frames = decode(result.path)
    assert frames.shape == (48, 480, 854, 3)
    assert result.metadata["generated_frames"] == 33  # 4k+1 covering 32 frames at 16 fps
    assert result.metadata["native_fps"] == 16
    assert loaded_classes() == {"WanPipeline"}


def test_wan_image_to_video(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="wan", model="wan2.1-i2v-14b-480p",
                    duration_s=1.0, fps=16, resolution="480p", aspect_ratio="16:9",
                    first_frame=still(tmp_path / "first.png"))
    assert decode(result.path).shape == (16, 480, 854, 3)
    assert result.metadata["mode"] == "image-to-video"
    assert loaded_classes() == {"WanImageToVideoPipeline"}


def test_wan_first_and_last_frame(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="wan", model="wan2.1-flf2v-14b-720p",
                    duration_s=1.0, fps=24, resolution="720p", aspect_ratio="16:9",
                    first_frame=still(tmp_path / "f.png"), last_frame=still(tmp_path / "l.png"))
    assert decode(result.path).shape == (24, 720, 1280, 3)
    assert result.metadata["mode"] == "first-last-frame"


def test_cogvideox_image_to_video(tiny_weights, tmp_path):
    result = render(tiny_weights, tmp_path, provider="cogvideox", model="cogvideox-5b-i2v",
                    duration_s=2.0, fps=24, resolution="480p", aspect_ratio="3:2",
                    first_frame=still(tmp_path / "first.png"))
    assert decode(result.path).shape == (48, 480, 720, 3)
    assert result.metadata["generated_frames"] == 49  # CogVideoX always renders 49 frames


def test_image_only_model_needs_a_first_frame(tiny_weights, tmp_path):
    with pytest.raises(CapabilityError, match="needs a first frame"):
        render(tiny_weights, tmp_path, provider="cogvideox", model="cogvideox-5b-i2v",
               duration_s=2.0, fps=24, resolution="480p", aspect_ratio="3:2")
    assert not runner._cache  # refused before loading anything


def test_first_last_model_needs_both_frames(tiny_weights, tmp_path):
    with pytest.raises(CapabilityError, match="needs a first and a last frame"):
        render(tiny_weights, tmp_path, provider="wan", model="wan2.1-flf2v-14b-720p",
               duration_s=1.0, fps=24, resolution="720p", first_frame=still(tmp_path / "f.png"))


def test_pipelines_are_cached_per_process(tiny_weights, tmp_path):
    kw = dict(provider="ltx-video", model="ltx-video-0.9.5", duration_s=0.5, fps=24,
              resolution="480p")
    render(tiny_weights, tmp_path / "a", **kw)
    first = dict(runner._cache)
    render(tiny_weights, tmp_path / "b", **kw)
    assert runner._cache.keys() == first.keys()
    assert all(runner._cache[k] is first[k] for k in first)


def test_missing_weights_offline_is_one_clear_error(tiny_weights, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(plugin, name="local-diffusers")
    d = Dispatcher(pm, provider_settings={"wan": {**FAST, "local_files_only": True,
                                                  "weights": {"wan2.1-t2v-1.3b": "nobody/no-such-model"}}},
                   env={}, retry=RetryPolicy(attempts=1))
    req = ClipRequest(provider="wan", model="wan2.1-t2v-1.3b", prompt="a cat", duration_s=1.0,
                      fps=16, resolution="480p")
    with pytest.raises(ProviderError) as info:
        asyncio.run(d.generate_clip(req, workdir=tmp_path))
    assert "cannot load wan2.1-t2v-1.3b weights from Hugging Face model nobody/no-such-model" in str(info.value)
    assert "hf download" in info.value.hint
    assert not info.value.retryable
    assert attrs.has(type(req))
