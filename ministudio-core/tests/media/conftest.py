"""Real clips for the media tests, generated once per session (small, fast to encode)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ministudio.testing.fakes import write_color_clip

COLORS = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (220, 200, 40), (120, 40, 160),
          (30, 160, 170), (230, 120, 30), (90, 90, 90)]


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


def make_clip(folder: Path, name: str, **kwargs) -> Path:
    path = folder / f"{name}.mp4"
    if not path.exists():
        write_color_clip(path, **kwargs)
    return path


@pytest.fixture(scope="session")
def av_clip(clip_dir: Path) -> Path:
    """2 s, 160x96, 24 fps, B-frames (veryfast), keyint 24, with AAC audio."""
    return make_clip(clip_dir, "av", duration_s=2.0, width=160, height=96, audio_hz=440,
                     preset="veryfast", gop=24, texture=True)


@pytest.fixture(scope="session")
def shot_clips(clip_dir: Path) -> list[Path]:
    """Eight distinct 1 s clips with B-frames and AAC audio, all with the same codec params."""
    return [
        make_clip(clip_dir, f"shot{i}", duration_s=1.0, width=160, height=96, color=c,
                  audio_hz=220 + 110 * i, preset="veryfast", gop=24, texture=True)
        for i, c in enumerate(COLORS)
    ]
