from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ministudio.errors import MediaError
from ministudio.media import extract_anchor_frame
from ministudio.testing.fakes import write_color_clip
from PIL import Image


def all_frames(clip: Path) -> list[np.ndarray]:
    import av

    with av.open(str(clip)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


@pytest.mark.parametrize("gop", [None, 12, 250])
def test_anchor_is_pixel_identical_to_true_last_frame(tmp_path: Path, gop: int | None) -> None:
    clip = write_color_clip(tmp_path / "c.mp4", duration_s=3.0, width=128, height=72,
                            gop=gop, preset="veryfast", texture=True)
    frames = all_frames(clip)
    anchor = extract_anchor_frame(clip, tmp_path / "out")
    got = np.asarray(Image.open(anchor.path))
    assert anchor.frame_index == len(frames) - 1 == 71
    assert anchor.time_s == pytest.approx(71 / 24)
    assert (anchor.width, anchor.height) == (128, 72)
    assert np.array_equal(got, frames[-1])


def test_anchor_skips_fade_out(tmp_path: Path) -> None:
    clip = write_color_clip(tmp_path / "fade.mp4", duration_s=3.0, width=128, height=72,
                            texture=True, fade_out_s=0.25, preset="veryfast")
    frames = all_frames(clip)
    anchor = extract_anchor_frame(clip, tmp_path / "out", search_window_s=0.5)
    # the last 6 frames fade (the last is black); the anchor is the last frame before the fade
    assert frames[-1].max() < 30
    assert anchor.frame_index < len(frames) - 1
    assert anchor.frame_index >= len(frames) - 12
    got = np.asarray(Image.open(anchor.path))
    assert np.array_equal(got, frames[anchor.frame_index])
    assert got.mean() > 60


def test_anchor_window_zero_takes_last_frame(tmp_path: Path) -> None:
    clip = write_color_clip(tmp_path / "fade.mp4", duration_s=1.0, width=64, height=64,
                            texture=True, fade_out_s=0.25)
    anchor = extract_anchor_frame(clip, tmp_path, search_window_s=0.0)
    assert anchor.frame_index == 23


def test_anchor_is_cached_by_content(tmp_path: Path, av_clip: Path) -> None:
    first = extract_anchor_frame(av_clip, tmp_path)
    mtime = first.path.stat().st_mtime_ns
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(av_clip.read_bytes())
    second = extract_anchor_frame(copy, tmp_path)
    assert second == first
    assert second.path.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.glob("*.partial-*")] == []


def test_anchor_rejects_non_video(tmp_path: Path) -> None:
    bad = tmp_path / "x.mp4"
    bad.write_text("<html>nope</html>")
    with pytest.raises(MediaError):
        extract_anchor_frame(bad, tmp_path)
