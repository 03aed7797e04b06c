"""Test material for the benchmarks: real-like 8 s 720p H.264 + AAC clips and narration.

The clips come from different encoders/settings, as a mixed-provider film's do: x264 at
several presets (with and without B-frames, one single-keyframe), a baseline-profile one,
a full-range ``yuvj420p`` one and a 25 fps one. Picture: ``testsrc2`` with light film grain (2–4 MB per clip) and a
per-clip hue (real bitrates, every frame different); sound: a tone plus noise at a level of
its own. Made with the ffmpeg binary the benchmarks compare against, cached in a folder.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

#: (name, extra ffmpeg video options, odd: differs from the film's parameters)
VARIANTS: list[tuple[str, list[str], bool]] = [
    ("x264-veryfast-bf", ["-preset", "veryfast", "-crf", "23", "-g", "48"], False),
    ("x264-ultrafast-nobf", ["-preset", "ultrafast", "-crf", "26", "-g", "24"], False),
    ("x264-medium-bf3", ["-preset", "medium", "-crf", "24", "-bf", "3", "-refs", "4"], False),
    ("full-range-yuvj420p", ["-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuvj420p"], True),
    ("x264-baseline", ["-preset", "faster", "-profile:v", "baseline", "-crf", "23"], False),
    ("25fps", ["-preset", "veryfast", "-crf", "23", "-r", "25"], True),
    ("x264-superfast-1key", ["-preset", "superfast", "-crf", "25", "-g", "1000",
                             "-sc_threshold", "0"], False),
    ("x264-faster-gop12", ["-preset", "faster", "-crf", "22", "-g", "12"], False),
]


def make_clip(ffmpeg: str, path: Path, index: int, opts: list[str], seconds: float = 8.0,
              fps: int = 24) -> Path:
    if path.exists():
        return path
    rate = "25" if "-r" in opts else str(fps)
    pix = [] if "-pix_fmt" in opts else ["-pix_fmt", "yuv420p"]
    tmp = path.with_suffix(".part.mp4")
    subprocess.run([
        ffmpeg, "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={rate}:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=f={220 + 55 * index}:d={seconds}:sample_rate=48000",
        "-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:a=0.05:r=48000:seed={index}",
        "-filter_complex",
        f"[0:v]hue=h={index * 45},noise=alls=3:allf=t[v];"
        f"[1:a]volume={0.2 + 0.05 * index}[s];[s][2:a]amix=inputs=2:normalize=0,"
        "aformat=channel_layouts=stereo[a]",
        "-map", "[v]", "-map", "[a]", "-c:v", "libx264", *pix, *opts,
        "-c:a", "aac", "-b:a", "128k", "-shortest", str(tmp)], check=True)
    tmp.rename(path)
    return path


def real_like_clips(ffmpeg: str, folder: Path, *, odd: bool = True) -> list[Path]:
    """The eight variants (``odd=False``: only those that match a 1280x720 24 fps yuv420p
    film, so the whole film can be stream-copied)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [make_clip(ffmpeg, folder / f"{i:02d}-{name}.mp4", i, opts)
            for i, (name, opts, is_odd) in enumerate(VARIANTS) if odd or not is_odd]


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
