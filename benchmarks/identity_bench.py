"""The ``face`` identity scorer: old vs new on a stylised development set, and seconds per shot.

Development set (built in memory, nothing downloaded): five characters, two photos shipped in
wheels (scikit-image's ``astronaut``, matplotlib's ``grace_hopper.jpg``) and the three drawn
portraits of the example films (``examples/films/*/refs``: mira, theo, ada). Each character's
original is its reference portrait. Test frames (1280x720, as a video frame) show each character
as: photo/drawing, cartoonised (median + 8-colour posterise + ink edges), painted (mode filter
+ colour boost), 3D-shaded (smoothed, quantised, radial key light), mirrored and tilted,
low resolution (face about 75 px), and every pair of characters side by side (two-person frames).

Every character's reference is scored against every frame: same-character pairs where the
character is in the frame, different-character pairs where it is not. In a two-person frame the
shot's cast is the character being scored plus the frame's other person, so the new scorer
assigns faces jointly (``IdentityRequest.others``); the old scorer (the previous release: best
face against the reference, no landmark check, a look score when no face) is run side by side.
A look score counts as what the old scorer reported (it passed its own gate); for the new one it
is no face match (similarity 0).

Prints ROC AUC, the threshold with the fewest false accepts + false rejects, FAR/FRR there and
at the default, and the CPU time to score an 8 s 720p shot, old and new scorer (one and two
characters, and a shot without a face; the new scorer with its references embedded in the
same call, as for a render's first shot, and cached, as for every later one).

    python benchmarks/identity_bench.py [--runs 3] [--profile]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DRAWN = {
    "mira": ROOT / "examples/films/umbrella-dialogue/refs/mira.png",
    "theo": ROOT / "examples/films/umbrella-dialogue/refs/theo.png",
    "ada": ROOT / "examples/films/tides-explainer/refs/ada.png",
}


def characters() -> dict[str, Any]:
    import matplotlib.cbook as cbook
    from PIL import Image
    from skimage import data

    out = {
        "astronaut": Image.fromarray(data.astronaut()),
        "hopper": Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
    }
    out.update({k: Image.open(p) for k, p in DRAWN.items()})
    return {k: v.convert("RGB") for k, v in out.items()}


def cartoon(im: Any) -> Any:
    from PIL import Image, ImageFilter, ImageOps

    flat = im.filter(ImageFilter.MedianFilter(7)).quantize(8).convert("RGB")
    edges = ImageOps.invert(im.convert("L").filter(ImageFilter.FIND_EDGES))
    ink = edges.point(lambda v: 255 if v > 200 else 0)
    return Image.composite(flat, Image.new("RGB", im.size), ink)


def painted(im: Any) -> Any:
    from PIL import ImageEnhance, ImageFilter

    return ImageEnhance.Color(im.filter(ImageFilter.ModeFilter(9)).filter(
        ImageFilter.SMOOTH_MORE)).enhance(1.4)


def shaded(im: Any) -> Any:
    """A 3D-render look: smooth surfaces, few tones, soft key light from the upper left."""
    import numpy as np
    from PIL import Image, ImageFilter

    smooth = im.filter(ImageFilter.GaussianBlur(3)).quantize(12).convert("RGB")
    smooth = smooth.filter(ImageFilter.GaussianBlur(1.5))
    h, w = smooth.height, smooth.width
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.25 - 0.6 * np.hypot((xx - 0.3 * w) / w, (yy - 0.25 * h) / h)
    arr = np.clip(np.asarray(smooth, dtype=float) * light[..., None], 0, 255)
    return Image.fromarray(arr.astype("uint8"))


def frame(people: list[Any], face_side: int = 420) -> Any:
    """People side by side on a 1280x720 set."""
    from PIL import Image, ImageOps

    out = Image.new("RGB", (1280, 720), (88, 96, 104))
    slot = 1280 // len(people)
    for k, im in enumerate(people):
        im = ImageOps.contain(im, (min(slot - 40, face_side), min(680, face_side)))
        out.paste(im, (k * slot + (slot - im.width) // 2, (720 - im.height) // 2))
    return out


def dev_set(chars: dict[str, Any]) -> list[tuple[str, tuple[str, ...], Any]]:
    """(variant, characters shown, 1280x720 frame)."""
    from PIL import ImageOps

    out = []
    for name, im in chars.items():
        for label, v in (("cartoon", cartoon(im)), ("painted", painted(im)),
                         ("3d-shaded", shaded(im)),
                         ("mirror-tilt", ImageOps.mirror(im).rotate(8, expand=False,
                                                                     fillcolor=(88, 96, 104)))):
            out.append((label, (name,), frame([v])))
        out.append(("low-res", (name,), frame([im.resize((128, round(128 * im.height / im.width)))],
                                              face_side=170)))
    for a, b in itertools.combinations(chars, 2):
        out.append(("two-person", (a, b), frame([chars[a], chars[b]], face_side=600)))
    return out


def old_score(media: Path, refs: tuple[Path, ...], embedder: Any,
              samples: int = 1) -> tuple[float, str]:
    """The previous release's scorer: HOG, no landmark check, best face against the
    references, a 1280-px retry, the look score when no face; every sampled frame."""
    import numpy as np
    from ministudio.media import look_score
    from ministudio.media.look import sample_frames
    from PIL import Image

    ref = [f.descriptor for p in refs for f in embedder.faces(Image.open(p), check=False)[:1]]
    if not ref:
        r = look_score(media, refs, samples=1)
        return float(r.score) if r.passed else 0.0, "look"
    sims = []
    for _, img in sample_frames(media, samples):
        best = None
        for side in (720, 1280):
            faces = embedder.faces(img, max_side=side, check=False)
            if faces:
                d = np.linalg.norm(np.stack([f.descriptor for f in faces])[:, None]
                                   - np.stack(ref)[None], axis=2)
                s = max(0.0, 1.0 - float(d.min()))
                best = s if best is None else max(best, s)
            if best is not None and best >= 0.47:
                break
        if best is not None:
            sims.append(best)
    if not sims:
        r = look_score(media, refs, samples=1)
        # the old release counted a look pass as a match: score it as it was judged
        return float(r.score) if r.passed else 0.0, "look"
    return float(np.median(sims)), "face"


def cached(embedder: Any) -> None:
    """Memoise detection per image (the set is scored many times over)."""
    raw = embedder.faces
    memo: dict[tuple[str, str], Any] = {}

    def faces(image: Any, **kw: Any) -> Any:
        key = (hashlib.sha1(image.tobytes()).hexdigest() + str(image.size), repr(sorted(kw.items())))
        if key not in memo:
            memo[key] = raw(image, **kw)
        return memo[key]

    embedder.faces = faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="print where the new scorer spends its time on the two-character "
                             "shot (pyinstrument)")
    args = parser.parse_args()

    from ministudio import IdentityRequest
    from ministudio.cli.identity import calibrate_threshold
    from ministudio.media.look import sample_frames
    from ministudio_local.animatic.encode import VideoWriter
    from ministudio_local.face.embed import FaceEmbedder
    from ministudio_local.face.score import _FRAME_CACHE, _REF_CACHE, THRESHOLD, score_faces

    t0 = time.perf_counter()
    emb = FaceEmbedder.shared()
    print(f"load average {os.getloadavg()[0]:.2f}; model load {time.perf_counter() - t0:.2f} s")
    chars = characters()
    tmp = Path(tempfile.mkdtemp(prefix="identity-bench-"))
    try:
        refs = {}
        for name, im in chars.items():
            refs[name] = tmp / f"ref-{name}.png"
            im.save(refs[name])
        frames = dev_set(chars)
        paths = []
        for i, (label, _, im) in enumerate(frames):
            paths.append(tmp / f"{i:03d}-{label}.png")
            im.save(paths[-1])
        timing = _speed(tmp, chars, refs, args.runs, VideoWriter, sample_frames, score_faces,
                        IdentityRequest, (_REF_CACHE, _FRAME_CACHE), emb, args.profile)
        cached(emb)
        rows = []
        for (label, shown, _), path in zip(frames, paths, strict=True):
            for target in chars:
                others = [(c, (refs[c],)) for c in shown if c != target]
                if target not in shown:  # the cast says `target`; the frame shows someone else
                    others = others[1:]
                new = score_faces(IdentityRequest(media=path, references=(refs[target],),
                                                  character=target, others=others, samples=1))
                assert new is not None
                old, old_kind = old_score(path, (refs[target],), emb)
                rows.append((target in shown, label, target, shown,
                             float(new.score) if new.kind == "face" else 0.0, new.kind,
                             old, old_kind))
        _report(rows, calibrate_threshold, THRESHOLD)
        print(timing)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: the previous release's default threshold (calibrated on photos only)
OLD_THRESHOLD = 0.47


def _report(rows: list[Any], calibrate: Any, default: float) -> None:
    same = [r for r in rows if r[0]]
    diff = [r for r in rows if not r[0]]
    print(f"development set: {len({(r[1], r[3]) for r in rows})} frames, 5 characters; "
          f"{len(same)} same-character and {len(diff)} different-character pairs")
    for col, name, shipped in ((6, "old (HOG, best face, look fallback)", OLD_THRESHOLD),
                               (4, "new (checked landmarks, joint assignment, face only)",
                                default)):
        cal = calibrate([r[col] for r in same], [r[col] for r in diff])
        at = []
        for t in sorted({shipped, default}):
            far = sum(r[col] >= t for r in diff) / len(diff)
            frr = sum(r[col] < t for r in same) / len(same)
            at.append(f"at {t}{' (its default)' if t == shipped else ''}: "
                      f"FAR {far:.1%} FRR {frr:.1%}")
        looks = sum(r[col + 1] == "look" for r in rows)
        print(f"{name}:\n  ROC AUC {cal.auc:.3f}; best threshold {cal.threshold:.3f}: "
              f"FAR {cal.far:.1%} FRR {cal.frr:.1%}; {'; '.join(at)}; "
              f"{looks} pairs without a face score")
    print("per variant, same-character pairs with a face score (old -> new) and wrong-face "
          "accepts at the default (old -> new):")
    for label in sorted({r[1] for r in rows}):
        s = [r for r in same if r[1] == label]
        d = [r for r in diff if r[1] == label]
        print(f"  {label:12s} found {sum(r[7] == 'face' for r in s):2d} -> "
              f"{sum(r[5] == 'face' for r in s):2d} of {len(s):2d}; false accepts "
              f"{sum(r[6] >= default for r in d):2d} -> {sum(r[4] >= default for r in d):2d} "
              f"of {len(d):2d}")


def _speed(tmp: Path, chars: dict[str, Any], refs: dict[str, Path], runs: int, VideoWriter: Any,
           sample_frames: Any, score_faces: Any, IdentityRequest: Any, caches: tuple[Any, ...],
           embedder: Any, profile: bool = False) -> str:
    """CPU seconds (this process, all threads) to score an 8 s 1280x720 24 fps shot, median
    of ``runs``: the old scorer (8 frames, each character on its own) and the new one
    (``samples=8`` as the engine asks; 3 spread frames first). "first shot": the references
    are embedded too (once per render); "later shots": they are cached, as for every other
    shot of a render with the same characters."""
    from PIL import Image, ImageOps
    from skimage import data

    lines = [f"time per 8 s 720p shot, CPU seconds (median of {runs}; wall in brackets):"]
    for cast in (("hopper",), ("hopper", "astronaut"), ("no face",)):
        clip = tmp / f"shot-{len(cast)}-{cast[0]}.mp4"
        ims = [ImageOps.contain(chars[c] if c in chars else Image.fromarray(data.coffee()),
                                (520, 600)) for c in cast]
        with VideoWriter(clip, 1280, 720, 24) as wr:
            for i in range(8 * 24):
                f = Image.new("RGB", (1280, 720), (70, 80, 95))
                for k, im in enumerate(ims):
                    f.paste(im, (60 + k * 620 + i, 50))
                wr.write(f)
        who = [c if c in chars else "hopper" for c in cast]

        def new(clip: Path = clip, cast: tuple[str, ...] = cast, who: list[str] = who) -> None:
            for c, w in zip(cast, who, strict=True):
                score_faces(IdentityRequest(
                    media=clip, references=(refs[w],), character=w, samples=8,
                    others=[(o, (refs[o],)) for o in cast if o != c and o in chars]))

        def first(fn: Any = new) -> None:
            for cache in caches:
                cache.clear()
            fn()

        def later(fn: Any = new) -> None:
            caches[1].clear()  # a new clip; the references stay embedded
            fn()

        def old(clip: Path = clip, who: list[str] = who) -> None:
            for w in who:
                old_score(clip, (refs[w],), embedder, samples=8)

        first()  # warm up: imports, the models
        if profile and len(cast) == 2:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.001, async_mode="disabled")
            with prof:
                first()
            print(prof.output_text(color=False))
        res = {name: _cpu(fn, runs) for name, fn in
               (("old", old), ("new, first shot", first), ("new, later shots", later))}
        what = ("no face in the shot" if cast[0] not in chars
                else f"{len(cast)} character(s) scored")
        lines.append(f"  {what}: " + "; ".join(
            f"{name} {c:.2f} s ({w:.2f})" for name, (c, w) in res.items())
            + " (target <= 2 s)")
    lines.append(f"  decoding 8 frames alone: {_cpu(lambda: sample_frames(clip, 8), runs)[0]:.2f} s"
                 f", skipping non-reference frames {_cpu(lambda: sample_frames(clip, 8, nearby=True), runs)[0]:.2f} s")
    return "\n".join(lines)


def _cpu(fn: Any, runs: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``fn`` over ``runs``."""
    cpu, wall = [], []
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall)


if __name__ == "__main__":
    main()
