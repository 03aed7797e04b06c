from __future__ import annotations

from pathlib import Path

import pytest
from ministudio.errors import MediaError
from ministudio.media import extract_anchor_frame, look_score
from PIL import Image


def test_same_clip_scores_high_and_other_palette_low(shot_clips: list[Path], tmp_path: Path) -> None:
    ref = extract_anchor_frame(shot_clips[0], tmp_path).path
    same = look_score(shot_clips[0], [ref], samples=4)
    other = look_score(shot_clips[2], [ref], samples=4)
    assert same.kind == other.kind == "look"
    assert "NOT a face" in same.note
    assert len(same.frames_used) == 4
    assert same.passed and same.score > other.score + 0.3
    assert other.score < 0.5 and not other.passed
    assert same.minimum <= same.p10 <= same.score


def test_best_reference_counts(shot_clips: list[Path], tmp_path: Path) -> None:
    refs = [extract_anchor_frame(c, tmp_path).path for c in shot_clips[:3]]
    assert look_score(shot_clips[2], refs, samples=2).score > look_score(shot_clips[2], refs[:2], samples=2).score + 0.3


def test_image_media_and_errors(tmp_path: Path) -> None:
    red = tmp_path / "red.png"
    Image.new("RGB", (80, 60), (200, 30, 30)).save(red)
    blue = tmp_path / "blue.png"
    Image.new("RGB", (80, 60), (30, 30, 200)).save(blue)
    assert look_score(red, [red]).score == pytest.approx(1.0)
    assert look_score(red, [blue]).score < 0.5
    with pytest.raises(MediaError):
        look_score(red, [])
    with pytest.raises(MediaError):
        look_score(tmp_path / "missing.png", [red])


def _moving_clip(path: Path, frames: int = 48, fps: int = 24,
                 options: dict[str, str] | None = None) -> Path:
    """H.264 with B-frames (libx264 defaults): a bar sweeping across, every frame different."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options=options or {})
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(frames):
            arr = np.full((96, 160, 3), 40, dtype=np.uint8)
            arr[:, (i * 3) % 150:(i * 3) % 150 + 10] = (230, 200, 60)
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_nearby_sampling_skips_frames_but_returns_exact_ones(tmp_path: Path) -> None:
    import av
    import numpy as np
    from ministudio.media.look import sample_frames

    clip = _moving_clip(tmp_path / "moving.mp4")
    with av.open(str(clip)) as c:
        every = {round(float(f.pts * f.time_base), 3): f.to_ndarray(format="rgb24")
                 for f in c.decode(video=0)}
    exact = sample_frames(clip, 5)
    near = sample_frames(clip, 5, nearby=True)
    assert len(near) == len(exact) == 5
    some_later = False
    for (te, _), (tn, img) in zip(exact, near, strict=True):
        # the first decoded frame at or after the sample's time: never early, at most 0.25 s late
        assert te - 1e-6 <= tn <= te + 0.25
        some_later |= tn > te + 1e-6
        # and the very frame a full decode gives at that time
        assert np.array_equal(np.asarray(img), every[round(tn, 3)])
    assert some_later  # frames were skipped (B-frames), so some samples moved


def test_look_score_uses_frames_already_decoded(shot_clips: list[Path], tmp_path: Path) -> None:
    from ministudio.media.look import sample_frames

    ref = extract_anchor_frame(shot_clips[0], tmp_path).path
    frames = sample_frames(shot_clips[0], 3)
    given = look_score(shot_clips[2], [ref], samples=3, frames=frames)  # clip 0's frames
    assert given.frames_used == look_score(shot_clips[0], [ref], samples=3).frames_used
    assert given.score == look_score(shot_clips[0], [ref], samples=3).score
    assert given.score > look_score(shot_clips[2], [ref], samples=3).score + 0.3


def test_nearby_sampling_decodes_in_full_where_skipping_leaves_gaps(tmp_path: Path) -> None:
    from ministudio.media.look import sample_frames

    # 12 B-frames in a row, none a reference: skipping them leaves half-second gaps
    clip = _moving_clip(tmp_path / "long-b.mp4", options={
        "x264-params": "bframes=12:b-adapt=0:b-pyramid=none:scenecut=0"})
    exact = [t for t, _ in sample_frames(clip, 5)]
    assert [t for t, _ in sample_frames(clip, 5, nearby=True)] == exact
