"""Media benchmark: assembly and anchor frames against ffmpeg floors and the old code.

    python benchmarks/media_bench.py [--repeat 3] [--quick] [--workdir DIR] [--ffmpeg PATH]

Material (``bench_clips``): real-like 8 s 1280x720 H.264 + AAC clips from different
encoder settings (B-frames or none, baseline profile, single keyframe, one full-range
``yuvj420p``, one 25 fps), a distinct narration WAV under every shot.

Rows (whole process vs whole process unless said; medians of interleaved runs):
  narration N=8/32/200  ours: ``assemble`` (video copy, every shot's sound decoded, loudness
                        normalised, ducked under its narration, one AAC track). Floor:
                        ``ffmpeg -f concat -c:v copy`` + ``adelay``/``amix`` of every
                        narration + AAC (ffmpeg's default coder); the note also gives
                        the ratio against the same command with ``-aac_coder fast``, the
                        coder ours uses. Target <= 1.2x. ``old`` (N <= 8, run once) is the
                        code before this work (``git archive`` of ``OLD_COMMIT``).
  odd clip N=8/32       the same with one full-range clip among them. Floor: ffmpeg
                        re-encodes that clip alone (same x264 preset/CRF), then the row above.
  anchor                ``extract_anchor_frame`` vs ``ffmpeg -sseof -0.1 -i clip -frames:v 1
                        -update 1 out.png``, whole process both (with the cost of Python
                        importing PyAV/NumPy/Pillow shown beside it: a render pays that once);
                        and in-process both (PyAV doing exactly that seek + decode + PNG).
                        Target in-process <= 1.2x.
  validate+anchor       ``validate_and_anchor`` vs ``validate_clip`` alone (in-process): the
                        anchor's cost inside the one decode pass. Target <= 1.1x.
  peak RSS              ours at N=200 vs N=8. Target <= 1.2x.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_clips import VARIANTS, real_like_clips  # noqa: E402
from harness import (  # noqa: E402
    Row,
    Stat,
    anchor_floor,
    find_ffmpeg,
    interleave,
    print_table,
    python_env,
    run_inprocess,
    run_process,
)

#: the code this work started from (assembly before per-clip normalisation)
OLD_COMMIT = "b1fd8c4"

CHILD = r"""
import json, sys
from pathlib import Path
from ministudio.log import configure
configure()
from ministudio.media import assemble, AssemblyShot, AssemblySettings, SpeechPlacement
spec = json.loads(Path(sys.argv[1]).read_text())
shots = [AssemblyShot(clip=Path(c), speech=(SpeechPlacement(wav=Path(w), start_s=1.0),))
         for c, w in zip(spec["clips"], spec["wavs"])]
r = assemble(shots, Path(spec["out"]), AssemblySettings(width=1280, height=720, fps=24))
print(json.dumps({"mode": r.mode, "frames": r.frames, "av_offset_s": round(r.av_offset_s, 4)}))
"""

#: what any Python process that decodes a clip and writes a PNG imports first
ANCHOR_IMPORTS = "import av, numpy, PIL.Image, PIL.PngImagePlugin; import ministudio.media.anchor"

ANCHOR_CHILD = r"""
import sys
from ministudio.media import extract_anchor_frame
extract_anchor_frame(sys.argv[1], sys.argv[2], use_cache=False)
"""


def old_tree(work: Path) -> Path | None:
    """The old core package, unpacked from git (``None`` outside a git checkout)."""
    dest = work / f"old-{OLD_COMMIT}"
    src = dest / "ministudio-core" / "src"
    if src.is_dir():
        return src
    archive = work / "old.tar"
    try:
        subprocess.run(["git", "-C", str(HERE.parent), "archive", "-o", str(archive),
                        OLD_COMMIT, "ministudio-core/src"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return src


def narrations(work: Path, n: int) -> list[Path]:
    """``n`` distinct speech-like WAVs of 4-6.8 s (a line under every shot)."""
    import numpy as np
    from ministudio.media import write_wav

    folder = work / "narration"
    folder.mkdir(exist_ok=True)
    out = []
    for k in range(n):
        path = folder / f"n{k:03d}.wav"
        if not path.exists():
            rate, secs = 22050, 4.0 + (k % 5) * 0.7
            t = np.arange(int(secs * rate)) / rate
            env = 0.5 * (1 + np.sin(2 * np.pi * (3.5 + k % 3) * t)) * (
                np.sin(2 * np.pi * 0.3 * t + k) > -0.6)
            f0 = 120 + 3 * (k % 40)
            sig = env * (np.sin(2 * np.pi * f0 * t) + 0.4 * np.sin(2 * np.pi * 2 * f0 * t))
            write_wav(path, (0.2 * sig)[None].astype(np.float32), rate)
        out.append(path)
    return out


class Bench:
    def __init__(self, ffmpeg: str, work: Path, repeat: int) -> None:
        self.ffmpeg, self.work, self.repeat = ffmpeg, work, repeat
        self.env = python_env()
        old = old_tree(work)
        self.old_env = python_env(old) if old is not None else None
        clips = real_like_clips(ffmpeg, work / "clips")
        self.good = [c for c, (_, _, odd) in zip(clips, VARIANTS, strict=True) if not odd]
        self.full_range = next(c for c in clips if "yuvj420p" in c.name)

    def films(self, n: int, odd: bool) -> tuple[list[Path], list[Path]]:
        clips = [self.good[i % len(self.good)] for i in range(n)]
        if odd:
            clips[3] = self.full_range
        return clips, narrations(self.work, n)

    def ours(self, clips, wavs, env, tag: str):  # type: ignore[no-untyped-def]
        spec = self.work / f"spec-{tag}.json"
        spec.write_text(json.dumps({"clips": list(map(str, clips)), "wavs": list(map(str, wavs)),
                                    "out": str(self.work / f"ours-{tag}.mp4")}))
        return lambda: run_process([sys.executable, "-c", CHILD, str(spec)], env=env)

    def ffmpeg_mix(self, clips, wavs, tag: str):  # type: ignore[no-untyped-def]
        lst = self.work / f"concat-{tag}.txt"
        lst.write_text("".join(f"file '{c}'\n" for c in clips))
        argv = [self.ffmpeg, "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(lst)]
        filters = []
        for k, w in enumerate(wavs):
            argv += ["-i", str(w)]
            filters.append(f"[{k + 1}:a]adelay={int((8 * k + 1.0) * 1000)}:all=1[n{k}]")
        filters.append("[0:a]" + "".join(f"[n{k}]" for k in range(len(wavs)))
                       + f"amix=inputs={len(wavs) + 1}:duration=first:normalize=0[a]")
        argv += ["-filter_complex", ";".join(filters), "-map", "0:v", "-map", "[a]",
                 "-c:v", "copy", "-c:a", "aac", "-ac", "2", "-b:a", "160k",
                 "-movflags", "+faststart", str(self.work / f"ff-{tag}.mp4")]
        return argv

    def narration_row(self, n: int, odd: bool, repeat: int) -> Row:
        clips, wavs = self.films(n, odd)
        tag = f"{n}{'odd' if odd else ''}"
        mix = self.ffmpeg_mix(clips, wavs, tag)
        if odd:  # the floor normalises the odd clip alone first, then mixes as above
            norm = self.work / "ff-normalised.mp4"
            pre = [self.ffmpeg, "-v", "error", "-y", "-i", str(self.full_range), "-an",
                   "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt",
                   "yuv420p", "-r", "24", str(norm)]
            mix = self.ffmpeg_mix([norm if c == self.full_range else c for c in clips], wavs, tag)

            def ref():  # type: ignore[no-untyped-def]
                a, b = run_process(pre), run_process(mix)
                a.wall, a.cpu = a.wall + b.wall, a.cpu + b.cpu
                return a
        else:
            def ref():  # type: ignore[no-untyped-def]
                return run_process(mix)
        contenders = {"ours": self.ours(clips, wavs, self.env, tag), "ref": ref}
        if not odd:  # the same mix with the AAC coder ours uses (FFmpeg's "fast")
            same = mix[:mix.index("-b:a")] + ["-aac_coder", "fast"] + mix[mix.index("-b:a"):]
            contenders["same_coder"] = lambda: run_process(same)
        stats = interleave(contenders, repeat)
        if self.old_env is not None and n <= 8:  # for context, once (it re-encodes: slow)
            stats["old"] = Stat.of([self.ours(clips, wavs, self.old_env, tag + "-old")()])
        result = json.loads(stats["ours"].out.strip().splitlines()[-1])
        what = "one full-range clip among" if odd else "narration under every one of"
        note = f"ours: {result}"
        if "same_coder" in stats:
            sc = stats["same_coder"]
            note += (f"; vs ffmpeg with the same AAC coder (-aac_coder fast, {sc.wall:.2f} s, "
                     f"CPU {sc.cpu:.2f} s): {stats['ours'].wall / sc.wall:.2f}x wall, "
                     f"{stats['ours'].cpu / sc.cpu:.2f}x CPU")
        return Row(f"assembly: {what} {n} shots", stats["ours"], stats["ref"], "<=1.2x",
                   old=stats.get("old"), note=note, extra={"n": n})

    def anchor_rows(self) -> list[Row]:
        from ministudio.media import extract_anchor_frame

        clip = self.good[0]
        png = self.work / "ff-anchor.png"
        ff = [self.ffmpeg, "-v", "error", "-y", "-sseof", "-0.1", "-i", str(clip),
              "-frames:v", "1", "-update", "1", str(png)]
        stats = interleave({
            "ours": lambda: run_process([sys.executable, "-c", ANCHOR_CHILD, str(clip),
                                         str(self.work / "anchors")], env=self.env),
            "ref": lambda: run_process(ff),
            "imports": lambda: run_process([sys.executable, "-c", ANCHOR_IMPORTS],
                                           env=self.env)}, self.repeat)
        imp = stats["imports"]
        whole = Row("anchor frame, whole process (8 s 720p, B-frames)", stats["ours"],
                    stats["ref"], "-",
                    note=f"ours includes starting Python and importing PyAV/numpy/Pillow "
                         f"(that alone: {imp.wall:.3f} s, CPU {imp.cpu:.3f} s; ours less it: "
                         f"{stats['ours'].wall - imp.wall:.3f} s); a render pays it once, "
                         f"not per clip: the in-process row is the one that counts")

        def floor_inproc() -> None:  # what the ffmpeg command does, in PyAV
            anchor_floor(clip, self.work / "floor.png")

        ins = interleave({
            "ours": lambda: run_inprocess(lambda: extract_anchor_frame(
                clip, self.work / "anchors", use_cache=False)),
            "ref": lambda: run_inprocess(floor_inproc)}, max(self.repeat, 5))
        inproc = Row("anchor frame, in-process (PyAV seek+decode floor)", ins["ours"],
                     ins["ref"], "<=1.2x",
                     note="ours decodes the last 0.5 s exactly and scores sharpness")
        return [whole, inproc]

    def validate_row(self) -> Row:
        from ministudio.media import validate_clip
        from ministudio.media.anchor import validate_and_anchor

        clip = self.good[0]

        def separate() -> None:
            validate_clip(clip)
            anchor_floor(clip, self.work / "va-floor.png")

        stats = interleave({
            "ours": lambda: run_inprocess(lambda: validate_and_anchor(clip, self.work / "va")),
            "ref": lambda: run_inprocess(lambda: validate_clip(clip)),
            "separate": lambda: run_inprocess(separate),
            # deblocking on, as any pass that keeps pixels must have it (validate alone skips it)
            "deblocked": lambda: run_inprocess(lambda: validate_clip(
                clip, on_video_frame=lambda frame: None))}, max(self.repeat, 3))
        apart = stats["separate"].wall / stats["ref"].wall
        deblocked = stats["deblocked"].wall / stats["ref"].wall
        return Row("validate + anchor in one pass vs validate alone", stats["ours"],
                   stats["ref"], "<=1.1x",
                   note=f"8 s 720p: every frame and audio packet decoded; validate alone then "
                        f"the anchor floor (seek + decode + PNG) apart: {apart:.2f}x; validate "
                        f"with deblocking on (a pass that keeps pixels): {deblocked:.2f}x")

    def rss_row(self, small: Row, big: Row) -> Row:
        return Row(f"assembly peak RSS: N={big.extra['n']} vs N={small.extra['n']}", big.ours,
                   small.ours, "<=1.2x", metric="rss")


def rows(repeat: int = 3, quick: bool = False, workdir: Path | None = None,
         ffmpeg: str | None = None) -> list[Row]:
    from ministudio.log import configure

    configure()
    work = workdir or Path(tempfile.gettempdir()) / "ministudio-media-bench"
    work.mkdir(parents=True, exist_ok=True)
    b = Bench(find_ffmpeg(ffmpeg), work, repeat)
    out = [b.narration_row(8, False, repeat), b.narration_row(32, False, repeat)]
    out += [b.narration_row(8, True, repeat)]
    if not quick:
        out += [b.narration_row(32, True, repeat)]
        big = b.narration_row(200, False, 1)
        out += [big, b.rss_row(out[0], big)]
    out += b.anchor_rows()
    out.append(b.validate_row())
    return out


def main() -> None:
    from harness import load_line

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="skip the N=32 odd and N=200 rows")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--ffmpeg")
    args = ap.parse_args()
    print(load_line())
    print_table(rows(args.repeat, args.quick, args.workdir, args.ffmpeg))
    print(load_line())


if __name__ == "__main__":
    main()
