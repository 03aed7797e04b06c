"""Peak memory of a real offline render as the film grows (``python benchmarks/memory_bench.py``).

Generates films of 8, 40 and 200 shots (``--shots 8,40,200``) with the offline defaults: the
``animatic`` clip provider at 720p and ``piper`` speech (a line of dialogue under every shot),
two characters with reference portraits (so identity is scored on every shot), scenes of 8
shots, every other shot continuing the one before. Each film is rendered from scratch by
``ministudio render`` in a fresh process (its own project folder, nothing cached); its peak
RSS (``wait4``: the process and everything it waited for) and wall/CPU time are read.

Targets: the 200-shot render under 500 MB peak RSS, and <= 1.2x the 8-shot render's peak.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Row, Sample, Stat, python_env, run_process  # noqa: E402

REFS = HERE.parent / "examples" / "films" / "umbrella-dialogue" / "refs"
LINES = ["The bus is late again.", "Then we wait together.", "Is that your umbrella?",
         "It was my father's.", "The rain is easing.", "Let's walk to the café."]


def film_yaml(shots: int, seconds: float = 2.0) -> str:
    out = ["title: Memory Test", 'format: {aspect_ratio: "16:9", resolution: 720p, fps: 24}',
           "characters:",
           "  mira: {name: Mira, description: a young illustrator, references: [refs/mira.png]}",
           "  theo: {name: Theo, description: a calm bus driver, references: [refs/theo.png]}",
           "environments:", "  stop: {description: a glass bus stop on a rainy street}",
           "scenes:"]
    for k in range(shots):
        if k % 8 == 0:
            out += [f"  - id: s{k // 8:03d}", "    environment: stop",
                    "    characters: [mira, theo]", "    shots:"]
        who = "mira" if k % 2 else "theo"
        cont = "" if k % 2 else ", continuity: cut"  # pairs: a shot, then one continuing it
        out.append(f"      - {{id: k{k:03d}, action: shot {k} at the bus stop, "
                   f"duration: {seconds:g}{cont}, dialogue: [{{speaker: {who}, "
                   f"line: \"{LINES[k % len(LINES)]}\"}}]}}")
    return "\n".join(out) + "\n"


def render_once(shots: int, work: Path, concurrency: int | None = None) -> Sample:
    project = work / f"film-{shots}"
    shutil.rmtree(project, ignore_errors=True)
    (project / "refs").mkdir(parents=True)
    for name in ("mira.png", "theo.png"):
        shutil.copy(REFS / name, project / "refs" / name)
    (project / "film.yaml").write_text(film_yaml(shots))
    exe = shutil.which("ministudio")
    argv = ([exe] if exe else [sys.executable, "-m", "ministudio"]) + [
        "render", str(project / "film.yaml"), "--out", str(project / "out"), "--yes"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    sample = run_process(argv, env=python_env())
    shutil.rmtree(project, ignore_errors=True)
    return sample


def rows(counts: tuple[int, ...] = (8, 40, 200), concurrency: int | None = None) -> list[Row]:
    work = Path(tempfile.gettempdir()) / "ministudio-memory-bench"
    work.mkdir(parents=True, exist_ok=True)
    stats = {n: Stat.of([render_once(n, work, concurrency)]) for n in counts}
    small, big = min(counts), max(counts)
    out = [Row(f"offline render {n} shots (animatic 720p + piper), peak MiB", stats[n], None,
               "<=500" if n == big else "-", metric="rss", ratio_override=stats[n].rss_kb / 1024,
               note=f"wall {stats[n].wall:.1f} s, CPU {stats[n].cpu:.1f} s")
           for n in counts]
    out.append(Row(f"offline render peak RSS: {big} vs {small} shots", stats[big], stats[small],
                   "<=1.2x", metric="rss"))
    return out


def main() -> None:
    from harness import load_line, print_table

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shots", default="8,40,200", help="comma-separated film sizes")
    ap.add_argument("--concurrency", type=int)
    args = ap.parse_args()
    print(load_line())
    print_table(rows(tuple(int(x) for x in args.shots.split(",")), args.concurrency))
    print(load_line())


if __name__ == "__main__":
    main()
