"""Cost of accepting a clip: ``validate_clip`` decoding every frame and audio packet.

    python benchmarks/validate_bench.py [--seconds 8] [--repeat 5] [--workdir DIR]

Two 8 s 1280x720 24 fps H.264 (B-frames) + AAC clips: a textured one like the media
benchmark's (about 5 Mbit/s, a provider-like bitrate) and a noisy one at a higher bitrate. Reported per
clip (medians of ``--repeat`` runs, in-process, wall-clock ms): the full decode
(``decode_all=True``, what a shot pays once when its clip arrives), the old first-frame check
(``decode_all=False``), and the full decode as a share of the clip's own duration. A shot's
generation takes tens of seconds to minutes, so the target is: full decode <= 10 % of the
clip's duration on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def _textured_clip(path: Path, seconds: float) -> Path:
    """The media benchmark's kind of clip: scrolling texture, B-frames, keyint 24, AAC."""
    from ministudio.testing.fakes import write_color_clip

    if not path.exists():
        tmp = path.with_suffix(".part.mp4")
        write_color_clip(tmp, duration_s=seconds, width=1280, height=720, fps=24,
                         color=(200, 40, 40), audio_hz=220.0, gop=24, preset="superfast",
                         crf=26, texture=True)
        tmp.rename(path)
    return path


def _noisy_clip(path: Path, seconds: float) -> Path:
    """High-entropy frames (fresh noise over a moving gradient): a realistic bitrate."""
    from fractions import Fraction

    import av
    import numpy as np

    if path.exists():
        return path
    rng = np.random.default_rng(5)
    fps, w, h, rate = 24, 1280, 720, 48000
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "superfast", "crf": "23"}
        vs.time_base = Fraction(1, fps)
        au = out.add_stream("aac", rate=rate)
        au.layout = "stereo"
        grad = np.linspace(0, 255, w, dtype=np.float32)[None, :, None].repeat(h, 0).repeat(3, 2)
        for i in range(int(seconds * fps)):
            img = np.roll(grad, 8 * i, axis=1) + rng.normal(0, 4, (h, w, 1))
            frame = av.VideoFrame.from_ndarray(np.clip(img, 0, 255).astype(np.uint8), "rgb24")
            frame.pts = i
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        t = np.arange(int(seconds * rate)) / rate
        samples = np.stack([0.2 * np.sin(2 * np.pi * 220 * t)] * 2).astype(np.float32)
        for pos in range(0, samples.shape[1], 1024):
            fr = av.AudioFrame.from_ndarray(samples[:, pos:pos + 1024].copy(), format="fltp",
                                            layout="stereo")
            fr.sample_rate, fr.pts = rate, pos
            for pkt in au.encode(fr):
                out.mux(pkt)
        for pkt in au.encode():
            out.mux(pkt)
    tmp.rename(path)
    return path


def _median_ms(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "ministudio-validate-bench")
    args = parser.parse_args()

    from ministudio.media import validate_clip

    args.workdir.mkdir(parents=True, exist_ok=True)
    clips = {
        "textured": _textured_clip(args.workdir / "textured.mp4", args.seconds),
        "noisy": _noisy_clip(args.workdir / "noisy.mp4", args.seconds),
    }
    print(f"{'clip':10} {'MB':>6} {'Mbit/s':>7} {'full ms':>8} {'first ms':>9} {'share':>6}")
    worst = 0.0
    for name, clip in clips.items():
        info = validate_clip(clip)  # warm the caches once
        full = _median_ms(lambda c=clip: validate_clip(c), args.repeat)
        first = _median_ms(lambda c=clip: validate_clip(c, decode_all=False), args.repeat)
        size = clip.stat().st_size
        share = full / 1000 / info.duration_s
        worst = max(worst, share)
        print(f"{name:10} {size / 1e6:6.1f} {size * 8 / 1e6 / info.duration_s:7.1f} "
              f"{full:8.0f} {first:9.0f} {share:6.1%}")
    print(f"target: full decode <= 10% of the clip's duration: {'ok' if worst <= 0.10 else 'MISSED'}")


if __name__ == "__main__":
    main()
