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
