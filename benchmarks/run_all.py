"""Every benchmark, one table: ``python benchmarks/run_all.py [--quick] [--repeat N]``
(or ``nox -s bench``).

Rows come from ``media_bench`` (assembly, anchor frames, validation, memory),
``engine_bench`` (chained shots on real-size clips, rerun, memory),
``providers_list_bench`` (CLI cold start) and ``batch_bench`` (16 films, local vs Dask).
Every row follows ``harness``'s rules:
interleaved contenders, medians, CPU time beside wall time, both sides timed alike. The load
average is printed before and after: on a shared machine, read wall-time ratios next to the
CPU-time ones and the noise column ((max - min) / median of the repeats).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import animatic_bench  # noqa: E402
import batch_bench  # noqa: E402
import engine_bench  # noqa: E402
import media_bench  # noqa: E402
import memory_bench  # noqa: E402
import providers_list_bench  # noqa: E402
from harness import load_line, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rows and repeats")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ffmpeg")
    ap.add_argument("--memory-shots", default="8,40,200",
                    help="film sizes for the offline-render memory rows ('' skips them)")
    ap.add_argument("--no-identity", action="store_true", help="skip identity_bench")
    ap.add_argument("--skip", default="", help="comma-separated groups to leave out: "
                    "providers, media, engine, batch, animatic")
    args = ap.parse_args()
    skip = {g.strip() for g in args.skip.split(",") if g.strip()}
    start = time.perf_counter()
    before = load_line()
    print(f"before: {before}", flush=True)
    rows = []
    if "providers" not in skip:
        rows += providers_list_bench.rows(5 if args.quick else 21)
    if "media" not in skip:
        rows += media_bench.rows(args.repeat, args.quick, ffmpeg=args.ffmpeg)
    if "engine" not in skip:
        rows += engine_bench.rows(1 if args.quick else args.repeat, args.quick,
                                  ffmpeg=args.ffmpeg)
    if "batch" not in skip:
        rows += batch_bench.rows(1 if args.quick else args.repeat, 8 if args.quick else 16)
    if "animatic" not in skip:
        rows += animatic_bench.rows(1 if args.quick else args.repeat, 4.0 if args.quick else 8.0)
    if args.memory_shots:
        rows += memory_bench.rows(tuple(int(n) for n in args.memory_shots.split(",")))
    identity = "" if args.no_identity else _identity(1 if args.quick else args.repeat)
    print()
    print_table(rows)
    if identity:
        print("\nidentity_bench.py (face scorer, its own report):")
        print(identity.rstrip())
    print()
    print(f"before: {before}")
    print(f"after:  {load_line()}; {time.perf_counter() - start:.0f} s in all")


def _identity(runs: int) -> str:
    import subprocess

    done = subprocess.run([sys.executable, str(Path(__file__).with_name("identity_bench.py")),
                           "--runs", str(runs)], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else f"failed ({done.returncode}): {done.stderr[-2000:]}"


if __name__ == "__main__":
    main()
