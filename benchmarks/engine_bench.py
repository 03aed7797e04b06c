"""Production engine benchmark on real-size clips (``python benchmarks/engine_bench.py``).

A fake provider (``ministudio-core/tests/engine/chaos.py``) answers after latency ``L`` with
a real-like 8 s 1280x720 H.264 + AAC clip from ``bench_clips`` (a distinct file per shot, as
a download would be), so validation, storing and anchor frames do their real work.

1. 2 scenes x 4 continuity-chained shots (identity gate off: no characters, so a continued
   shot is requested from its predecessor's anchor frame while that clip is validated and
   stored): wall time of the shots phase against the critical
   path 4 x L (the plain target: no media work in the denominator). Target at L = 3 s:
   <= 1.05. Beside it, interleaved with it, the *floor chain*: the same two chains with the
   same clips and latency, doing only the media work no engine can skip, in-process with
   PyAV as ours is: each link's start frame (seek to 0.1 s before the end, as
   ``ffmpeg -sseof -0.1`` does, decode, PNG) before the next request goes out, every clip
   decoded once in full in the background, the last one on the path. It shows how far above
   4L the floor itself is on this machine with these clips (three of the six encoders write
   a single keyframe, so their last frame needs the whole clip decoded).
2. Peak RSS of 32 vs 8 independent shots, each in a fresh process. Target <= 1.2.
3. Rerun of an unchanged production: provider calls (target 0) and wall time.

Speech and assembly are not part of this benchmark (see ``media_bench.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "ministudio-core" / "tests" / "engine"))

from bench_clips import VARIANTS, real_like_clips  # noqa: E402
from chaos import ChaosClipPlugin, chained_plans  # noqa: E402
from harness import (  # noqa: E402
    Row,
    Sample,
    Stat,
    anchor_floor,
    find_ffmpeg,
    interleave,
    python_env,
    run_process,
)
from ministudio.engine.production import shoot_all  # noqa: E402
from ministudio.requests import ClipResult  # noqa: E402

from conftest import Harness  # noqa: E402

WORK = Path(tempfile.gettempdir()) / "ministudio-engine-bench"


def unique_clips(ffmpeg: str, n: int) -> list[Path]:
    """``n`` distinct files (stream copies of the real-like clips with their own tag)."""
    base = [c for c, (_, _, odd) in zip(real_like_clips(ffmpeg, WORK / "clips"), VARIANTS,
                                        strict=True) if not odd]
    out = []
    for k in range(n):
        path = WORK / "unique" / f"u{k:03d}.mp4"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(base[k % len(base)]),
                            "-c", "copy", "-metadata", f"comment=shot {k}", str(path)],
                           check=True)
        out.append(path)
    return out


class RealClips(ChaosClipPlugin):
    def __init__(self, clips: list[Path], **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kw)
        self.clips = clips
        self.next = 0

    async def _write(self, request, context, job: str) -> ClipResult:  # type: ignore[no-untyped-def, override]
        src = self.clips[self.next % len(self.clips)]
        self.next += 1
        dest = context.workdir / "download.mp4"
        await asyncio.to_thread(shutil.copyfile, src, dest)
        return ClipResult(path=dest, provider=self.name, model=request.model,
                          duration_s=request.duration_s, width=1280, height=720, fps=24,
                          seed=request.seed, job_id=job)


def shoot(plans, clips: list[Path], latency: float, root: Path,  # type: ignore[no-untyped-def]
          concurrency: int = 8) -> tuple[Sample, int]:
    h = Harness(root, RealClips(clips, latency_s=latency))
    prod = h.production(concurrency=concurrency)
    t, c = time.perf_counter(), time.process_time()
    out = asyncio.run(shoot_all(prod, plans))
    sample = Sample(wall=time.perf_counter() - t, cpu=time.process_time() - c)
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items() if not o.ok}
    h.ledger.close()
    return sample, prod.provider_calls


def validate_floor(clip: Path) -> None:
    """The least a full check costs in-process: PyAV decodes every video frame (deblocking
    skipped, as nobody looks at the pixels) and every audio packet."""
    import av

    with av.open(str(clip)) as c:
        v = c.streams.video[0]
        v.thread_type = "AUTO"
        v.codec_context.options = {"skip_loop_filter": "all"}
        for pkt in c.demux(v, *c.streams.audio[:1]):
            pkt.decode()


def floor_chains(clips: list[Path], latency: float, root: Path, chains: int = 2,
                 links: int = 4) -> Sample:
    """The floor for ``shoot``'s chains, in-process as ours is: each request sleeps
    ``latency``, the clip is copied (the download), its start frame is found
    (:func:`anchor_floor`) before the next request, and every clip is checked in full
    (:func:`validate_floor`) in the background, the last link's on the path. Clips are dealt
    out in call order, as ``RealClips`` does (both chains ask at the same moments)."""
    import threading

    def chain(c: int) -> None:
        folder = root / f"floor-{c}"
        folder.mkdir(parents=True, exist_ok=True)
        background = []
        for k in range(links):
            time.sleep(latency)
            clip = folder / f"link{k}.mp4"
            shutil.copyfile(clips[(k * chains + c) % len(clips)], clip)
            if k + 1 < links:
                anchor_floor(clip, folder / f"anchor{k}.png")
                t = threading.Thread(target=validate_floor, args=(clip,))
                t.start()
                background.append(t)
            else:
                validate_floor(clip)
        for t in background:
            t.join()

    t0, c0 = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=chain, args=(c,)) for c in range(chains)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Sample(wall=time.perf_counter() - t0, cpu=time.process_time() - c0)


def child_rss(n: int, ffmpeg: str) -> None:
    clips = unique_clips(ffmpeg, n)
    with tempfile.TemporaryDirectory() as d:
        shoot(chained_plans(n, 1, duration_s=8.0), clips, 0.05, Path(d), concurrency=4)
    import resource

    print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def rows(repeat: int = 1, quick: bool = False, ffmpeg: str | None = None) -> list[Row]:
    from ministudio.log import configure

    configure()
    ffmpeg = find_ffmpeg(ffmpeg)
    clips = unique_clips(ffmpeg, 32)
    out: list[Row] = []
    runs = itertools.count()  # a fresh prompt each run: nothing cached
    for latency in ((3.0,) if quick else (1.0, 3.0)):

        def ours(latency: float = latency) -> Sample:
            with tempfile.TemporaryDirectory() as d:
                s, _ = shoot(chained_plans(2, 4, duration_s=8.0,
                                           prompt=f"L{latency} r{next(runs)}"),
                             clips[:8], latency, Path(d))
            return s

        def floor(latency: float = latency) -> Sample:
            with tempfile.TemporaryDirectory() as d:
                return floor_chains(clips[:8], latency, Path(d))

        stats = interleave({"ours": ours, "floor": floor}, repeat)
        crit = Stat.of([Sample(wall=4 * latency, cpu=0.0)])
        fl = stats["floor"]
        out.append(Row(f"engine: 2x4 chained, gate off, L={latency:g}s, wall / 4L", stats["ours"],
                       crit, "<=1.05x" if latency >= 3 else "-",
                       note=f"real-size clips; ref = critical path 4L (no media work in it); "
                            f"the floor chain: {fl.wall:.2f} s = {fl.wall / crit.wall:.3f}"
                            f" x 4L, CPU {fl.cpu:.2f} s"))
        out.append(Row(f"engine: 2x4 chained, L={latency:g}s, vs the floor chain",
                       stats["ours"], fl, "<=1.05x",
                       note="floor, in-process: PyAV seek to end-0.1 s + decode + PNG per link "
                            "before the next request, every clip decoded in full, the last on "
                            "the path"))
    with tempfile.TemporaryDirectory() as d:
        plans = chained_plans(2, 4, duration_s=8.0, prompt="rerun")
        shoot(plans, clips[:8], 0.2, Path(d))
        again, calls = shoot(plans, clips[:8], 0.2, Path(d))
    out.append(Row(f"engine: rerun unchanged ({calls} provider calls; target 0)",
                   Stat.of([again]), None, "<=2s", ratio_override=again.wall))
    if not quick:
        env = python_env()
        rss = {n: run_process([sys.executable, __file__, "--rss", str(n), ffmpeg], env=env)
               for n in (8, 32)}
        out.append(Row("engine: peak RSS, 32 vs 8 independent shots", Stat.of([rss[32]]),
                       Stat.of([rss[8]]), "<=1.2x", metric="rss"))
    return out


def main() -> None:
    from harness import load_line, print_table

    if len(sys.argv) == 4 and sys.argv[1] == "--rss":
        from ministudio.log import configure

        configure()
        child_rss(int(sys.argv[2]), sys.argv[3])
        return
    print(load_line())
    repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
    print_table(rows(repeat=repeat, quick="--quick" in sys.argv))
    print(load_line())


if __name__ == "__main__":
    main()
