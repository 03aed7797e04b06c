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


@pytest.mark.parametrize("gop", [250, 48])
def test_tail_decode_skipping_non_reference_frames_changes_no_pixel(tmp_path: Path,
                                                                   gop: int) -> None:
    """Frames before the window that nothing refers to are not decoded; every frame of the
    window is still bit-identical to a full decode's (a B-frame clip, one keyframe or many)."""
    from ministudio.media.anchor import _decode_tail

    clip = write_color_clip(tmp_path / "b.mp4", duration_s=3.0, width=160, height=96,
                            gop=gop, preset="medium", texture=True)
    frames = all_frames(clip)
    end = len(frames) / 24
    fast, skipped = _decode_tail(clip, end, 0.5, 24.0, skip_before=True)
    full, _ = _decode_tail(clip, end, 0.5, 24.0, skip_before=False)
    assert skipped
    assert [t for t, _, _ in fast] == [t for t, _, _ in full]
    assert len(fast) == 12 and fast[-1][0] == pytest.approx((len(frames) - 1) / 24)
    for (t, f, _), k in zip(fast, range(len(frames) - 12, len(frames)), strict=True):
        assert np.array_equal(f.to_ndarray(format="rgb24"), frames[k]), t


def test_anchor_when_the_container_promises_more_than_the_video(tmp_path: Path) -> None:
    """Audio two seconds longer than the video: the anchor is still the video's true last
    frame, found with non-reference frames skipped."""
    import av

    clip = write_color_clip(tmp_path / "v.mp4", duration_s=2.0, width=160, height=96,
                            preset="medium", texture=True)
    frames = all_frames(clip)
    out = tmp_path / "long-audio.mp4"
    with av.open(str(clip)) as src, av.open(str(out), "w") as dst:
        v = dst.add_stream_from_template(src.streams.video[0])
        a = dst.add_stream("aac", rate=48000)
        a.layout = "mono"
        for pkt in src.demux(src.streams.video[0]):
            if pkt.dts is not None:
                pkt.stream = v
                dst.mux(pkt)
        tone = np.zeros((1, 48000 * 4), dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
        frame.sample_rate = 48000
        for p in (*a.encode(frame), *a.encode(None)):
            dst.mux(p)
    anchor = extract_anchor_frame(out, tmp_path / "a", search_window_s=0.0)
    assert anchor.frame_index == len(frames) - 1
    assert np.array_equal(np.asarray(Image.open(anchor.path)), frames[-1])


def test_a_length_that_overstates_the_video_falls_back_to_decoding_everything(
        tmp_path: Path) -> None:
    """When the promised end is later than the last frame, skipping could hide the true last
    frame (a non-reference B-frame): the skipping pass says so, and the full pass finds it."""
    from ministudio.media.anchor import _decode_tail

    clip = write_color_clip(tmp_path / "b.mp4", duration_s=2.0, width=160, height=96,
                            gop=250, preset="medium", texture=True)
    frames = all_frames(clip)
    promised = len(frames) / 24 + 1.0
    fast, skipped = _decode_tail(clip, promised, 0.5, 24.0, skip_before=True)
    assert skipped and fast[-1][0] < promised - 1.5 / 24  # the caller's cue to decode again
    full, _ = _decode_tail(clip, promised, 0.5, 24.0, skip_before=False)
    assert full[-1][0] == pytest.approx((len(frames) - 1) / 24)
    assert np.array_equal(full[-1][1].to_ndarray(format="rgb24"), frames[-1])


def test_the_clip_is_opened_once_for_its_headers_and_its_end(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import av

    clip = write_color_clip(tmp_path / "c.mp4", duration_s=1.0, width=160, height=96,
                            preset="veryfast", gop=6, texture=True)
    opened: list[str] = []
    real_open = av.open
    monkeypatch.setattr(av, "open", lambda f, *a, **k: opened.append(str(f)) or real_open(f, *a, **k))
    frame = extract_anchor_frame(clip, tmp_path / "a", use_cache=False)
    assert opened == [str(clip)] and frame.frame_index == 23
