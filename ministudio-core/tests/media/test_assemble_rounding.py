"""A clip whose container rounds its duration to the millisecond (the MP4 edit list: 110
frames at 24 fps = 4.58333 s, declared 4.583 s) is stream-copied without a warning: a warning
must mean something the user should act on, and a 0.3 ms rounding gap is not that."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from structlog.testing import capture_logs

from ministudio.media import AssemblySettings, AssemblyShot, assemble, probe
from ministudio.testing.fakes import write_color_clip

FPS = 24
SETTINGS = AssemblySettings(width=160, height=96, fps=FPS, audio_channels=1)


@pytest.fixture(scope="module")
def rounded_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("rounded")
    clips = []
    for i, color in enumerate([(200, 40, 40), (40, 160, 60), (40, 60, 200)]):
        path = folder / f"r{i}.mp4"
        write_color_clip(path, duration_s=110 / FPS, width=160, height=96, color=color,
                         audio_hz=330, preset="veryfast", gop=24, texture=True)
        clips.append(path)
    return clips


def _packet_end_s(path: Path) -> float:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return float(max(p.pts + p.duration for p in c.demux(v) if p.pts is not None)
                     * v.time_base)


def test_the_fixture_has_the_sub_millisecond_gap(rounded_clips: list[Path]) -> None:
    declared = probe(rounded_clips[0]).video_duration_s
    gap = _packet_end_s(rounded_clips[0]) - declared
    assert 0 < gap < 0.001, gap  # what made the copy fail before


def test_sub_millisecond_rounding_is_copied_silently(rounded_clips: list[Path],
                                                     tmp_path: Path) -> None:
    with capture_logs() as logs:
        result = assemble([AssemblyShot(clip=c) for c in rounded_clips], tmp_path / "f.mp4",
                          SETTINGS)
    assert result.mode == "copy", result.reason
    assert [e for e in logs if e["log_level"] in ("warning", "error")] == []
    assert result.frames == 330
    assert result.video_duration_s == pytest.approx(330 / FPS, abs=0.002)
    starts = [s.start_s for s in result.shots]
    assert starts[1] == pytest.approx(110 / FPS, abs=0.002)
