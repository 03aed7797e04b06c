"""Cold start of `ministudio providers list` against `python -c pass`, measured in the same run.

Each command is run as a fresh process (no warm imports), several times; medians are reported.
Target (issue 3): under 0.3 s with every first-party plugin installed.

    python benchmarks/providers_list_bench.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    exe = shutil.which("ministudio") or sys.executable
    listing = [exe, "providers", "list"] if exe != sys.executable else [
        sys.executable, "-m", "ministudio", "providers", "list"]
    installed = json.loads(subprocess.run([*listing, "--json"], capture_output=True,
                                          text=True, check=True).stdout)
    timed([sys.executable, "-c", "pass"], 2)  # warm the OS file cache for both
    timed(listing, 2)
    base = timed([sys.executable, "-c", "pass"], args.runs)
    cold = timed(listing, args.runs)
    print(f"providers installed: {', '.join(sorted(r['name'] for r in installed))}")
    print(f"python -c pass            median {base * 1000:7.1f} ms")
    print(f"ministudio providers list median {cold * 1000:7.1f} ms")
    print(f"ratio                     {cold / base:7.2f}x   target: < 300 ms "
          f"({'OK' if cold < 0.3 else 'OVER'})")


if __name__ == "__main__":
    main()
