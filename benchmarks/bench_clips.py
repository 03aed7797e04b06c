"""Test material for the media benchmark: distinct 720p clips and a narration WAV (cached)."""

from __future__ import annotations

from pathlib import Path

COLOURS = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (220, 200, 40), (120, 40, 160),
           (30, 160, 170), (230, 120, 30), (90, 90, 90)]


def make_clips(folder: Path, n: int, *, gop: int, duration_s: float = 8.0) -> list[Path]:
    """``n`` distinct 8 s 1280x720 24 fps H.264 (B-frames, keyint ``gop``) + AAC clips."""
    from ministudio.testing.fakes import write_color_clip

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"clip{i:02d}.mp4"
        if not path.exists():
            base = COLOURS[i % len(COLOURS)]
            colour = tuple((c + 37 * (i // len(COLOURS))) % 256 for c in base)
            tmp = path.with_suffix(".part.mp4")
            write_color_clip(tmp, duration_s=duration_s, width=1280, height=720, fps=24,
                             color=colour, audio_hz=220.0 + 20 * i, gop=gop,
                             preset="superfast", crf=26, texture=True)
            tmp.rename(path)
        out.append(path)
    return out


def make_narration(path: Path, seconds: float, rate: int = 24000) -> Path:
    """A speech-like mono WAV: a 180 Hz buzz with syllable-rate amplitude modulation."""
    import numpy as np
    from ministudio.media import write_wav

    if not path.exists():
        t = np.arange(int(seconds * rate)) / rate
        env = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) * (np.sin(2 * np.pi * 0.3 * t) > -0.6)
        sig = env * (np.sin(2 * np.pi * 180 * t) + 0.4 * np.sin(2 * np.pi * 360 * t))
        write_wav(path, (0.2 * sig)[None].astype(np.float32), rate)
    return path
