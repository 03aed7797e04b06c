"""What each transition puts on screen: a dissolve mixes the two pictures, a fade goes
through black (the two pictures never share a frame), a cut is a cut."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from ministudio.media import AssemblySettings, AssemblyShot, assemble
from ministudio.testing.fakes import write_color_clip

RED, BLUE = (220, 30, 30), (30, 30, 220)


@pytest.fixture(scope="module")
def two_clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tr")
    a, b = folder / "red.mp4", folder / "blue.mp4"
    write_color_clip(a, duration_s=1.0, width=64, height=48, color=RED, audio_hz=None)
    write_color_clip(b, duration_s=1.0, width=64, height=48, color=BLUE, audio_hz=None)
    return a, b


def _means(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.array([f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
                         for f in c.decode(video=0)])


def _film(clips: tuple[Path, Path], out: Path, transition: str) -> np.ndarray:
    shots = [AssemblyShot(clip=clips[0]),
             AssemblyShot(clip=clips[1], transition=transition, transition_s=0.5)]
    result = assemble(shots, out, AssemblySettings(width=64, height=48, fps=24))
    assert result.frames == (48 if transition == "cut" else 36)  # 12 frames of overlap
    return _means(out)


def test_fade_goes_through_black(two_clips: tuple[Path, Path], tmp_path: Path) -> None:
    m = _film(two_clips, tmp_path / "fade.mp4", "fade")
    window = m[12:24]  # the overlap: shot 2 starts at 0.5 s
    brightness = window.sum(axis=1)
    assert brightness.min() < 40  # black in the middle
    # never both pictures at once: each frame is red-ish or blue-ish (or black), not purple
    both = np.minimum(window[:, 0], window[:, 2]) - 30
    assert both.max() < 25
    assert m[14, 0] > m[14, 2] and m[22, 2] > m[22, 0]  # red fades out, blue fades in


def test_dissolve_mixes_the_pictures(two_clips: tuple[Path, Path], tmp_path: Path) -> None:
    m = _film(two_clips, tmp_path / "dissolve.mp4", "crossfade")
    mid = m[18]
    assert mid[0] > 90 and mid[2] > 90  # red and blue together, no dip
    assert m[12:24].sum(axis=1).min() > 200


def test_a_cut_is_a_cut(two_clips: tuple[Path, Path], tmp_path: Path) -> None:
    m = _film(two_clips, tmp_path / "cut.mp4", "cut")
    assert m[23, 0] > 150 and m[24, 2] > 150 and m[24, 0] < 60
