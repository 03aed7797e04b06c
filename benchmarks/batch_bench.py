"""Batch benchmark: 16 tiny offline films, the ``local`` executor against Dask
(``python benchmarks/batch_bench.py [--films 16] [--repeat 3] [--workers 2]``).

Every film is two 1 s shots at 360p on the offline ``animatic`` provider, no speech, each in
its own project folder, rendered from scratch (fresh folders every round: nothing cached).
Contenders, each a whole process timed alike (``harness.run_process``: wall, CPU of the
process and its waited-for children), interleaved, medians of ``--repeat`` rounds:

- ``local``: ``run_batch(executor="local", jobs=W)``: W films at once in one process;
- ``dask``: ``run_batch(executor="dask")`` on a ``LocalCluster`` of W worker processes (one
  thread each), the cluster's start and stop included.

Reported: wall and CPU seconds, films per minute, and the ratio dask / local in wall time.
There is no target: on a 2-core machine the two should be close (the films are CPU-bound
and both use W cores); Dask's worth is more machines, measured by adding workers elsewhere.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Row, interleave, load_line, print_table, python_env, run_process  # noqa: E402

FILM = """\
title: Bench {n}
format: {{aspect_ratio: "16:9", resolution: 360p, fps: 24}}
defaults: {{provider: animatic}}
environments:
  room: {{description: a plain room number {n}}}
scenes:
  - id: s
    environment: room
    shots:
      - {{id: a, action: a red ball rolls across the floor {n}, duration: 1}}
      - {{id: b, action: the ball stops by the wall {n}, duration: 1, continuity: cut}}
"""


def make_films(root: Path, count: int) -> Path:
    for n in range(1, count + 1):
        folder = root / f"film{n:02d}"
        folder.mkdir(parents=True)
        (folder / "film.yaml").write_text(FILM.format(n=n))
    return root


def child(executor: str, films: int, workers: int) -> None:
    """One measured run (in its own process): make fresh films, render them, print a summary."""
    from ministudio.batch import run_batch

    root = Path(tempfile.mkdtemp(prefix="ministudio-batch-bench-"))
    try:
        make_films(root, films)
        options = {"n_workers": workers} if executor == "dask" else {}
        summary = run_batch([root], executor=executor, jobs=workers, executor_options=options)
        data = summary.to_json()
        if data["done"] != films:
            raise SystemExit(f"{films - data['done']} films failed: "
                             + "; ".join(f"{f['film']}: {f['reason']}" for f in data["films"]
                                         if f["status"] != "done"))
        print(json.dumps({"done": data["done"], "wall_s": data["wall_s"],
                          "calls": data["provider_calls"]}))
    finally:
        shutil.rmtree(root, ignore_errors=True)


def rows(repeat: int = 3, films: int = 16, workers: int = 2) -> list[Row]:
    env = python_env()
    env["MINISTUDIO_CONFIG"] = str(Path(tempfile.gettempdir()) / "no-such-config.toml")
    argv = [sys.executable, str(Path(__file__).resolve()), "--child"]

    def run(executor: str):  # type: ignore[no-untyped-def]
        return lambda: run_process([*argv, executor, "--films", str(films),
                                    "--workers", str(workers)], env=env)

    stats = interleave({"local": run("local"), "dask": run("dask")}, repeat)
    local, dask = stats["local"], stats["dask"]
    per_min = {k: 60 * films / s.wall for k, s in stats.items()}
    return [
        Row(name=f"batch {films} films, local executor, {workers} at once", ours=local, ref=None,
            target="-", note=f"{per_min['local']:.1f} films/minute"),
        Row(name=f"batch {films} films, dask LocalCluster {workers} workers", ours=dask,
            ref=local, target="-",
            note=f"{per_min['dask']:.1f} films/minute; ratio = dask / local wall time"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--films", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--child", metavar="EXECUTOR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.films, args.workers)
        return
    before = load_line()
    print(f"before: {before}", flush=True)
    table = rows(args.repeat, args.films, args.workers)
    print()
    print_table(table)
    print()
    print(f"before: {before}")
    print(f"after:  {load_line()}")


if __name__ == "__main__":
    main()
