"""The ``face`` identity scorer: calibration on the shipped photos and seconds per shot.

1. Calibration: embeds scikit-image's ``astronaut`` and matplotlib's ``grace_hopper.jpg``
   plus variants (crop, mirror, JPEG q30, 200-px JPEG q30, mirrored crop JPEG q50, darkened)
   and prints the similarity (1 - dlib L2 distance) of every same-person and different-person
   pair, the gap, and the threshold in use.
2. Speed: scores an 8 s 720p H.264 shot (a portrait drifting over a set) with 8 sampled
   frames. Baseline measured in the same run: decoding the same 8 frames (core's
   ``sample_frames``) without any face work. Target: <= 2 s per 8 s shot.

    python benchmarks/identity_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import matplotlib.cbook as cbook
    import numpy as np
    from ministudio import IdentityRequest
    from ministudio.media.look import sample_frames
    from ministudio_local.animatic.encode import VideoWriter
    from ministudio_local.face.embed import FaceEmbedder, distance_to_similarity
    from ministudio_local.face.score import _REF_CACHE, THRESHOLD, score_faces
    from PIL import Image, ImageOps
    from skimage import data

    t0 = time.perf_counter()
    emb = FaceEmbedder.shared()
    print(f"load average {os.getloadavg()[0]:.2f}; model load {time.perf_counter() - t0:.2f} s")

    def jpeg(im: Image.Image, q: int, side: int | None = None) -> Image.Image:
        if side:
            im = im.resize((side, round(im.height * side / im.width)))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        return Image.open(buf).convert("RGB")

    people = {
        "astronaut": Image.fromarray(data.astronaut()),
        "hopper": Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB"),
    }
    descs: dict[tuple[str, str], np.ndarray] = {}
    per_image = []
    for who, im in people.items():
        w, h = im.size
        crop = im.crop((int(w * 0.15), int(h * 0.05), int(w * 0.8), int(h * 0.7)))
        variants = {
            "original": im, "crop": crop, "mirror": ImageOps.mirror(im), "jpeg30": jpeg(im, 30),
            "200px-jpeg30": jpeg(im, 30, 200), "mirror-crop-jpeg50": jpeg(ImageOps.mirror(crop), 50),
            "dark": Image.eval(im, lambda v: int(v * 0.6)),
        }
        for name, v in variants.items():
            start = time.perf_counter()
            faces = emb.faces(v)
            per_image.append(time.perf_counter() - start)
            if faces:
                descs[(who, name)] = faces[0].descriptor
            else:
                print(f"  no face found in {who}/{name}")
    same, diff = [], []
    for (a, da), (b, db) in itertools.combinations(descs.items(), 2):
        s = distance_to_similarity(float(np.linalg.norm(da - db)))
        (same if a[0] == b[0] else diff).append((s, a, b))
    lo = min(same)
    hi = max(diff)
    print(f"calibration: {len(descs)} images, {len(same)} same-person pairs, {len(diff)} different")
    print(f"  same person : min {lo[0]:.3f} ({'/'.join(lo[1])} vs {'/'.join(lo[2])}), "
          f"median {statistics.median(s for s, *_ in same):.3f}")
    print(f"  different   : max {hi[0]:.3f} ({'/'.join(hi[1])} vs {'/'.join(hi[2])}), "
          f"median {statistics.median(s for s, *_ in diff):.3f}")
    print(f"  gap {lo[0] - hi[0]:.3f}; midpoint {(lo[0] + hi[0]) / 2:.3f}; threshold in use {THRESHOLD}")
    print(f"  detect+embed per 512-px photo: median {statistics.median(per_image) * 1000:.0f} ms")

    tmp = Path(tempfile.mkdtemp(prefix="identity-bench-"))
    try:
        people["hopper"].save(tmp / "ref.png")
        portrait = ImageOps.contain(people["hopper"], (560, 640))
        clip = tmp / "shot.mp4"
        with VideoWriter(clip, 1280, 720, 24) as wr:
            for i in range(8 * 24):
                frame = Image.new("RGB", (1280, 720), (70, 80, 95))
                frame.paste(portrait, (300 + i, 50))
                wr.write(frame)
        base = statistics.median(
            _timed(lambda: sample_frames(clip, 8)) for _ in range(args.runs))
        times = []
        for _ in range(args.runs):
            _REF_CACHE.clear()
            times.append(_timed(lambda: score_faces(
                IdentityRequest(media=clip, references=(tmp / "ref.png",), samples=8))))
        r = score_faces(IdentityRequest(media=clip, references=(tmp / "ref.png",), samples=8))
        t = statistics.median(times)
        print(f"8 s 720p shot, 8 samples: baseline decode {base:.2f} s; face score {t:.2f} s "
              f"({t / base:.1f}x baseline; target <= 2 s) -> score {r.score:.3f} ({r.note})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
