"""validate_and_anchor: one decode pass validates a clip and yields the same anchor frame as
extract_anchor_frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ministudio.errors import MediaError
from ministudio.media import extract_anchor_frame
from ministudio.media.anchor import decode_slots, validate_and_anchor
from ministudio.testing.fakes import write_color_clip
from PIL import Image


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path))


@pytest.mark.parametrize("kind", ["bframes", "single-keyframe", "fade-out", "keyframe-in-window"])
def test_same_anchor_as_extract_anchor_frame(kind: str, tmp_path: Path) -> None:
    kwargs = {"bframes": {"preset": "veryfast", "gop": 24},
              "single-keyframe": {"preset": "veryfast", "gop": 1000},
              "fade-out": {"preset": "veryfast", "gop": 24, "fade_out_s": 0.25},
              # keyframes every 10 frames: the window starts at frame 40, not at 36
              "keyframe-in-window": {"preset": "veryfast", "gop": 10, "fade_out_s": 0.5}}[kind]
    clip = write_color_clip(tmp_path / "c.mp4", duration_s=2.0, width=160, height=96,
                            audio_hz=440, texture=True, **kwargs)
    info, ours = validate_and_anchor(clip, tmp_path / "a", expected_duration_s=2.0)
    ref = extract_anchor_frame(clip, tmp_path / "b", use_cache=False)
    assert info.frames == 48 and info.has_audio
    assert (ours.time_s, ours.frame_index, ours.sharpness) == (ref.time_s, ref.frame_index,
                                                              ref.sharpness)
    assert np.array_equal(pixels(ours.path), pixels(ref.path))
    if kind == "fade-out":  # the fade to black at the end is skipped
        assert ours.frame_index < 47 and pixels(ours.path).mean() > 20
    elif kind == "keyframe-in-window":  # the fade fills the shortened window [40, 47]: the
        assert 40 <= ours.frame_index < 47  # chosen frame is in it, not before the keyframe
    else:
        assert ours.frame_index == 47


def test_one_open_one_decode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import av

    clip = write_color_clip(tmp_path / "c.mp4", duration_s=1.0, width=160, height=96,
                            preset="veryfast", texture=True)
    opened: list[str] = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    validate_and_anchor(clip, tmp_path / "a")
    assert opened == [str(clip)]


def test_damaged_clip_is_refused_and_no_anchor_written(tmp_path: Path) -> None:
    clip = write_color_clip(tmp_path / "c.mp4", duration_s=2.0, width=160, height=96,
                            preset="veryfast", gop=24, texture=True)
    data = bytearray(clip.read_bytes())
    mid = len(data) // 2
    data[mid: mid + 4000] = np.random.default_rng(1).integers(0, 256, 4000, np.uint8).tobytes()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="bad.mp4"):
        validate_and_anchor(bad, tmp_path / "a")
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").iterdir())


def test_wrong_duration_refused(tmp_path: Path) -> None:
    clip = write_color_clip(tmp_path / "c.mp4", duration_s=1.0, width=160, height=96)
    with pytest.raises(MediaError, match="expected 8s"):
        validate_and_anchor(clip, tmp_path / "a", expected_duration_s=8.0)


def test_concurrent_calls_share_bounded_slots(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    clips = [write_color_clip(tmp_path / f"c{i}.mp4", duration_s=1.0, width=160, height=96,
                              color=(40 * i, 90, 160), texture=True) for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda c: validate_and_anchor(c, tmp_path / c.stem), clips))
    assert decode_slots() >= 1
    for clip, (_, anchor) in zip(clips, results, strict=True):
        assert anchor.path.parent.name == clip.stem and anchor.frame_index == 23
