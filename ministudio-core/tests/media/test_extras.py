from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ministudio.errors import MediaError
from ministudio.media import (
    AssemblySettings,
    AssemblyShot,
    Cue,
    assemble,
    atomic_output,
    contact_sheet,
    cues_from_words,
    slate_clip,
    validate_clip,
    write_srt,
    write_vtt,
)
from ministudio.requests import WordTiming
from PIL import Image


def words(text: str, start: float = 0.0, step: float = 0.3, gaps: dict[int, float] | None = None):
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(WordTiming(word=w, start_s=round(t, 3), end_s=round(t + step - 0.05, 3)))
        t += step
    return out


def test_cues_break_on_sentences_pauses_and_length() -> None:
    ws = words("Hello there. This is a test of the subtitle grouping logic that should wrap "
               "long lines nicely", gaps={})
    cues = cues_from_words(ws)
    assert cues[0].text == "Hello there."
    assert all(len(line) <= 42 for c in cues for line in c.text.split("\n"))
    assert all(c.text.count("\n") <= 1 for c in cues)
    assert all(c.end_s - c.start_s <= 6.0 + 1e-9 for c in cues)
    assert all(a.end_s <= b.start_s for a, b in zip(cues, cues[1:], strict=False))
    assert " ".join(c.text.replace("\n", " ") for c in cues) == " ".join(w.word for w in ws)
    paused = cues_from_words(words("one two three four", gaps={2: 1.5}), offset_s=10.0)
    assert [c.text for c in paused] == ["one two", "three four"]
    assert paused[0].start_s == pytest.approx(10.0)
    assert paused[0].end_s - paused[0].start_s >= 1.0  # held for the minimum duration


def test_srt_and_vtt(tmp_path: Path) -> None:
    cues = [Cue(start_s=0.5, end_s=2.25, text="Hello"), Cue(start_s=3661.0, end_s=3662.5, text="a\nb")]
    srt = write_srt(cues, tmp_path / "f.srt").read_text()
    assert srt == ("1\n00:00:00,500 --> 00:00:02,250\nHello\n\n"
                   "2\n01:01:01,000 --> 01:01:02,500\na\nb\n")
    vtt = write_vtt(cues, tmp_path / "f.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:02.250\nHello\n")
    with pytest.raises(ValueError):
        Cue(start_s=2, end_s=1, text="x")


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "film.mp4"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_bytes(b"half a fil")
            raise RuntimeError("crash")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".mp4"
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_contact_sheet(shot_clips: list[Path], tmp_path: Path) -> None:
    still = tmp_path / "still.png"
    Image.new("RGB", (160, 90), (255, 255, 255)).save(still)
    items = [(c, f"shot {i}") for i, c in enumerate(shot_clips[:3])]
    items += [(still, "portrait"), (tmp_path / "missing.mp4", "lost")]
    sheet = contact_sheet(items, tmp_path / "sheet.png", columns=3, thumb_width=160)
    im = np.asarray(Image.open(sheet))
    assert im.shape[1] == 8 + 3 * 168
    # first tile is shot0's red, second shot1's green
    assert im[40, 60][0] > 150 and im[40, 60][1] < 100
    assert im[40, 60 + 168][1] > 120
    with pytest.raises(MediaError):
        contact_sheet([], tmp_path / "x.png")


def test_slate_is_a_valid_clip_that_assembles(shot_clips: list[Path], tmp_path: Path) -> None:
    slate = slate_clip("MISSING: shot 2\n(provider failed)", tmp_path / "slate.mp4",
                       duration_s=1.0, width=160, height=96)
    info = validate_clip(slate, expected_duration_s=1.0, tolerance_s=0.001)
    assert info.has_audio and info.frames == 24
    result = assemble([AssemblyShot(clip=shot_clips[0]), AssemblyShot(clip=slate)],
                      tmp_path / "gap.mp4", AssemblySettings(width=160, height=96))
    assert result.frames == 48 and abs(result.av_offset_s) < 1 / 24
