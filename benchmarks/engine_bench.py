"""Production engine benchmark (run on demand: ``python benchmarks/engine_bench.py``).

1. Wall time for 2 scenes x 4 chained shots with provider latency L, against the critical
   path 4 x L (target: <= critical path x 1.05 + the per-shot media work measured in the
   same run at L = 0).
2. Peak RSS for 8 vs 32 independent shots (each in a fresh process; target ratio <= 1.2).
3. Rerun of an unchanged production: provider calls (target 0) and wall time (target <= 2 s).

Uses the fake provider from ``ministudio-core/tests/engine/chaos.py`` (real H.264 clips, 360p).
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "ministudio-core" / "tests" / "engine"))

from chaos import ChaosClipPlugin, chained_plans  # noqa: E402
from conftest import Harness  # noqa: E402

from ministudio.engine.production import shoot_all  # noqa: E402


def run(plans, latency: float, root: Path, concurrency: int = 8):
    fake = ChaosClipPlugin(latency_s=latency)
    h = Harness(root, fake)
    prod = h.production(concurrency=concurrency)
    t0 = time.perf_counter()
    out = asyncio.run(shoot_all(prod, plans))
    wall = time.perf_counter() - t0
    assert all(o.ok for o in out.values()), {k: o.error for k, o in out.items() if not o.ok}
    h.ledger.close()
    return wall, prod.provider_calls


def child_rss(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        run(chained_plans(n, 1, duration_s=1.0), 0.05, Path(d), concurrency=4)
    print(json.dumps({"rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


def main() -> None:
    from ministudio.log import configure

    configure()  # warnings only: keep the output readable
    if len(sys.argv) == 3 and sys.argv[1] == "--rss":
        child_rss(int(sys.argv[2]))
        return
    latency = 1.0
    plans = chained_plans(2, 4, duration_s=1.0)
    with tempfile.TemporaryDirectory() as d:
        base, _ = run(chained_plans(2, 4, duration_s=1.0, prompt="zero"), 0.0, Path(d))
    with tempfile.TemporaryDirectory() as d:
        wall, calls = run(plans, latency, Path(d))
        rerun_wall, rerun_calls = run(plans, latency, Path(d))
    critical = 4 * latency
    print(f"[1] 2 scenes x 4 chained shots, L={latency:.1f}s: wall {wall:.2f}s, critical path "
          f"{critical:.1f}s, ratio {wall / critical:.3f} (sequential would be {8 * latency:.0f}s); "
          f"media work per run at L=0: {base:.2f}s; "
          f"wall / (critical path + media work) = {wall / (critical + base):.3f}")
    rss = {}
    for n in (8, 32):
        out = subprocess.run([sys.executable, __file__, "--rss", str(n)], capture_output=True,
                             text=True, check=True)
        rss[n] = json.loads(out.stdout.strip().splitlines()[-1])["rss_kb"]
    print(f"[2] peak RSS: 8 shots {rss[8] / 1024:.0f} MiB, 32 shots {rss[32] / 1024:.0f} MiB, "
          f"ratio {rss[32] / rss[8]:.3f} (target <= 1.2)")
    print(f"[3] rerun unchanged: {rerun_calls} provider calls (first run {calls}), "
          f"{rerun_wall:.3f}s (target 0 calls, <= 2 s)")


if __name__ == "__main__":
    main()
