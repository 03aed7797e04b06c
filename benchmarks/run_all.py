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

import batch_bench  # noqa: E402
import engine_bench  # noqa: E402
import media_bench  # noqa: E402
import providers_list_bench  # noqa: E402
from harness import load_line, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rows and repeats")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ffmpeg")
    args = ap.parse_args()
    start = time.perf_counter()
    before = load_line()
    print(f"before: {before}", flush=True)
    rows = []
    rows += providers_list_bench.rows(5 if args.quick else 9)
    rows += media_bench.rows(args.repeat, args.quick, ffmpeg=args.ffmpeg)
    rows += engine_bench.rows(1, args.quick, ffmpeg=args.ffmpeg)
    rows += batch_bench.rows(1 if args.quick else args.repeat, 8 if args.quick else 16)
    print()
    print_table(rows)
    print()
    print(f"before: {before}")
    print(f"after:  {load_line()}; {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
