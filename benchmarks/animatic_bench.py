"""Speed of the ``animatic`` provider at 720p: realtime factor per camera move.

Renders an 8 s, 24 fps, 1280x720 shot with two character portraits (the photos shipped in
scikit-image and matplotlib) for several camera moves, and reports the realtime factor
(clip seconds / wall seconds; target >= 4x on a 2-core machine). As a baseline measured in
the same run it also times encoding the same number of flat frames with the same encoder
settings, so a loaded machine shows up in both numbers.

    python benchmarks/animatic_bench.py [--seconds 8] [--runs 3] [--preset veryfast]

:func:`rows` (used by ``run_all.py``) reports, per camera move, the render against its floor:
x264 alone (same settings) encoding that very clip's frames, decoded and converted to
``yuv420p`` beforehand; both in-process, interleaved, medians, CPU time beside wall.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--resolution", default="720p")
    args = parser.parse_args()

    import matplotlib.cbook as cbook
    from ministudio import ClipRequest, ReferenceImage, frame_size
    from ministudio_local.animatic.encode import VideoWriter
    from ministudio_local.animatic.render import render_animatic
    from PIL import Image
    from skimage import data

    tmp = Path(tempfile.mkdtemp(prefix="animatic-bench-"))
    try:
        Image.fromarray(data.astronaut()).save(tmp / "a.png")
        shutil.copy(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), tmp / "g.jpg")
        w, h = frame_size("16:9", args.resolution)
        frames = int(args.seconds * 24)

        def encode_flat() -> float:
            flat = Image.new("RGB", (w, h), (90, 100, 110))
            start = time.perf_counter()
            with VideoWriter(tmp / "flat.mp4", w, h, 24, preset=args.preset) as wr:
                for _ in range(frames):
                    wr.write(flat)
            return time.perf_counter() - start

        base = statistics.median(encode_flat() for _ in range(args.runs))
        print(f"load average {os.getloadavg()[0]:.2f}; {w}x{h} 24 fps, {args.seconds:g} s, "
              f"preset {args.preset}")
        print(f"baseline: encode {frames} flat frames: {base:.2f} s "
              f"({args.seconds / base:.1f}x realtime)")
        print(f"{'move':14s} {'wall s':>7s} {'realtime x':>10s} {'vs baseline':>11s} {'MB':>6s}")
        for move in ("static", "push in", "pan left", "orbit right", "handheld"):
            req = ClipRequest(
                provider="animatic", model="animatic-v1", prompt="two engineers argue",
                duration_s=args.seconds, resolution=args.resolution, seed=1, shot_id="b1",
                reference_images=[ReferenceImage(path=tmp / "a.png", label="eileen"),
                                  ReferenceImage(path=tmp / "g.jpg", label="grace")],
                direction={"shot_type": "medium", "camera": {"movement": move},
                           "characters": ["eileen", "grace"],
                           "action": "Eileen points at the clock; Grace shakes her head.",
                           "dialogue": [{"speaker": "Grace", "line": "Not yet."}]},
            )
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                render_animatic(req, tmp / "out.mp4", preset=args.preset)
                times.append(time.perf_counter() - start)
            t = statistics.median(times)
            size = (tmp / "out.mp4").stat().st_size / 1e6
            print(f"{move:14s} {t:7.2f} {args.seconds / t:10.2f} {t / base:10.2f}x {size:6.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rows(runs: int = 3, seconds: float = 8.0, preset: str = "veryfast",
         moves: tuple[str, ...] = ("static", "push in", "orbit right", "handheld")) -> list:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import av
    import matplotlib.cbook as cbook
    from harness import Row, interleave, run_inprocess
    from ministudio import ClipRequest, ReferenceImage, frame_size
    from ministudio_local.animatic.encode import VideoWriter
    from ministudio_local.animatic.render import render_animatic
    from PIL import Image
    from skimage import data

    tmp = Path(tempfile.mkdtemp(prefix="animatic-bench-"))
    out = []
    try:
        Image.fromarray(data.astronaut()).save(tmp / "a.png")
        shutil.copy(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), tmp / "g.jpg")
        w, h = frame_size("16:9", "720p")
        for move in moves:
            req = _request(ClipRequest, ReferenceImage, tmp, seconds, move)
            render_animatic(req, tmp / "out.mp4", preset=preset)
            with av.open(str(tmp / "out.mp4")) as c:  # the same frames, converted beforehand
                frames = [f.reformat(format="yuv420p") for f in c.decode(video=0)]

            def floor(frames=frames) -> None:  # type: ignore[no-untyped-def]
                with VideoWriter(tmp / "floor.mp4", w, h, 24, preset=preset) as wr:
                    for f in frames:
                        wr.write(f)

            stats = interleave({
                "ours": lambda req=req: run_inprocess(
                    lambda: render_animatic(req, tmp / "out.mp4", preset=preset)),
                "floor": lambda floor=floor: run_inprocess(floor)}, runs)
            out.append(Row(f"animatic 720p {seconds:g} s, {move}", stats["ours"], stats["floor"],
                           "-", note=f"realtime {seconds / stats['ours'].wall:.1f}x (target >= 4x); "
                                     f"floor = x264 alone on the clip's own frames, "
                                     f"pre-converted"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _request(ClipRequest, ReferenceImage, tmp: Path, seconds: float, move: str):  # type: ignore[no-untyped-def]
    return ClipRequest(
        provider="animatic", model="animatic-v1", prompt="two engineers argue",
        duration_s=seconds, resolution="720p", seed=1, shot_id="b1",
        reference_images=[ReferenceImage(path=tmp / "a.png", label="eileen"),
                          ReferenceImage(path=tmp / "g.jpg", label="grace")],
        direction={"shot_type": "medium", "camera": {"movement": move},
                   "characters": ["eileen", "grace"],
                   "action": "Eileen points at the clock; Grace shakes her head.",
                   "dialogue": [{"speaker": "Grace", "line": "Not yet."}]},
    )


if __name__ == "__main__":
    main()
