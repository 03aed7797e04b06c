"""Media benchmark: MiniStudio's PyAV media layer vs the ffmpeg CLI, measured in the same run.

    python benchmarks/media_bench.py [--sizes 8,32] [--workdir DIR] [--repeat 3]

Needs ``ministudio-core`` installed and an ffmpeg binary as the reference: ``pip install
imageio-ffmpeg`` (a static ffmpeg inside the wheel), or Debian's ``apt-get install ffmpeg``, or
``--ffmpeg PATH``. Generated test clips (distinct 8 s 1280x720 24 fps H.264 + AAC, keyint 24
and single-keyframe variants) are cached in ``--workdir`` (default: a folder in the system
temp dir), so only the first run pays for encoding them.

Reported (medians of ``--repeat`` runs, wall-clock seconds, process start included on both
sides for assembly):
  assembly   N clips + 30 s narration -> film. Ours: ``ministudio.media.assemble`` in a fresh
             Python process (video stream copy, one mixed/ducked/normalised AAC track).
             Reference: ``ffmpeg -f concat -c:v copy`` + ``amix`` of the narration + AAC.
             Target: ours <= 1.5x the reference.
  anchor     last frame -> PNG. Ours: ``extract_anchor_frame`` in-process (decodes the last
             0.5 s exactly and picks the last sharp frame). Reference: ``ffmpeg -sseof -1
             -update 1`` (process start included). Target: <= 1.0x.
  rss        peak RSS of our assembly process for N=32 vs N=8. Target: <= 1.2x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_clips import make_clips, make_narration  # noqa: E402

CHILD = r"""
import sys, time, json, resource
from pathlib import Path
from ministudio.media import assemble, AssemblyShot, AssemblySettings, SpeechPlacement
from ministudio.log import configure
configure()  # warnings only: keep the benchmark's table readable
t = time.perf_counter()
clips = [Path(p) for p in sys.argv[3:]]
shots = [AssemblyShot(clip=c, speech=(SpeechPlacement(wav=Path(sys.argv[2]), start_s=0.5),) if i == 0 else ())
         for i, c in enumerate(clips)]
r = assemble(shots, Path(sys.argv[1]), AssemblySettings(width=1280, height=720, fps=24))
print(json.dumps({"inproc_s": time.perf_counter() - t, "mode": r.mode, "video": r.video_duration_s,
                  "audio": r.audio_duration_s, "offset": r.av_offset_s, "frames": r.frames}))
"""


def find_ffmpeg(explicit: str | None) -> str:
    if explicit:
        return explicit
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        pass
    found = shutil.which("ffmpeg")
    if found:
        return found
    sys.exit("no ffmpeg found: pip install imageio-ffmpeg, or apt-get install ffmpeg, "
             "or pass --ffmpeg PATH")


def run_child(argv: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (KiB) and stdout of a child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{argv[0]} failed: {err[-2000:]}")
    return wall, usage.ru_maxrss, out


def ours_assembly(clips, narration, out):  # type: ignore[no-untyped-def]
    return run_child([sys.executable, "-c", CHILD, str(out), str(narration), *map(str, clips)])


def ffmpeg_assembly(ffmpeg, clips, narration, out, work):  # type: ignore[no-untyped-def]
    lst = work / "concat.txt"
    lst.write_text("".join(f"file '{c}'\n" for c in clips))
    return run_child([ffmpeg, "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(lst),
                      "-itsoffset", "0.5", "-i", str(narration), "-filter_complex",
                      "[0:a][1:a]amix=inputs=2:duration=first[a]", "-map", "0:v", "-map", "[a]",
                      "-c:v", "copy", "-c:a", "aac", "-ac", "2", "-b:a", "160k", "-movflags", "+faststart",
                      str(out)])


def ours_anchor(clip, work):  # type: ignore[no-untyped-def]
    from ministudio.media import extract_anchor_frame

    t = time.perf_counter()
    extract_anchor_frame(clip, work, use_cache=False)
    return time.perf_counter() - t


def ffmpeg_anchor(ffmpeg, clip, work):  # type: ignore[no-untyped-def]
    return run_child([ffmpeg, "-y", "-v", "error", "-sseof", "-1", "-i", str(clip), "-update",
                      "1", str(work / "ff_last.png")])[0]


def median(fn, repeat):  # type: ignore[no-untyped-def]
    return statistics.median(fn() for _ in range(repeat))


def main() -> None:
    from ministudio.log import configure

    configure()  # warnings only: keep the output readable
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="8,32")
    ap.add_argument("--variants", default="k24,k1")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "ministudio-media-bench")
    ap.add_argument("--ffmpeg")
    args = ap.parse_args()
    ffmpeg = find_ffmpeg(args.ffmpeg)
    sizes = [int(x) for x in args.sizes.split(",")]
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    narration = make_narration(work / "narration.wav", 30.0)
    version = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    import av

    print(f"reference: {version}")
    print(f"ours: PyAV {av.__version__} (FFmpeg {av.ffmpeg_version_info}), python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, median of {args.repeat}")
    print()
    print(f"{'task':<40} {'ours s':>8} {'ffmpeg s':>9} {'ratio':>6} {'target':>7}")
    rss: dict[tuple[str, int], int] = {}
    for variant in args.variants.split(","):
        gop = 24 if variant == "k24" else 1000
        clips_all = make_clips(work / variant, max(sizes), gop=gop)
        for n in sizes:
            clips = clips_all[:n]
            out_ours, out_ff = work / f"ours_{variant}_{n}.mp4", work / f"ff_{variant}_{n}.mp4"
            runs = [ours_assembly(clips, narration, out_ours) for _ in range(args.repeat)]
            ours = statistics.median(r[0] for r in runs)
            rss[(variant, n)] = max(r[1] for r in runs)
            ref = median(lambda c=clips, o=out_ff: ffmpeg_assembly(ffmpeg, c, narration, o, work)[0],
                         args.repeat)
            print(f"{f'assembly {variant} N={n} + narration':<40} {ours:8.3f} {ref:9.3f} "
                  f"{ours / ref:6.2f} {'<=1.5':>7}   [{runs[0][2].strip()}]")
        a = median(lambda c=clips_all[0]: ours_anchor(c, work), args.repeat)
        b = median(lambda c=clips_all[0]: ffmpeg_anchor(ffmpeg, c, work), args.repeat)
        print(f"{f'anchor frame {variant} (8 s 720p)':<40} {a:8.3f} {b:9.3f} {a / b:6.2f} {'<=1.0':>7}")
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        for variant in args.variants.split(","):
            r_lo, r_hi = rss[(variant, lo)], rss[(variant, hi)]
            print(f"{f'peak RSS {variant} N={hi} vs N={lo} (MiB)':<40} {r_hi / 1024:8.1f} "
                  f"{r_lo / 1024:9.1f} {r_hi / r_lo:6.2f} {'<=1.2':>7}")


if __name__ == "__main__":
    main()
