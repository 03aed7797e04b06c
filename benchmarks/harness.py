"""Shared measuring rules for the benchmarks, so that no row can flatter us.

- Contenders are run interleaved (A, B, A, B ... with the order reversed on every other
  round, so drift in machine load hits both sides alike), ``repeat`` times; medians are
  reported.
- CPU time (user + system, children included) is reported beside wall time: on a shared
  machine wall time is noisy, CPU time much less so.
- Both sides of a ratio are timed the same way: whole process vs whole process
  (:func:`run_process`), or in-process vs in-process (:func:`run_inprocess`).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_kb: int = 0
    out: str = ""


@dataclass
class Stat:
    wall: float
    cpu: float
    rss_kb: int
    n: int
    spread: float  # (max - min) / median of wall, a noise indicator
    out: str = ""

    @classmethod
    def of(cls, samples: Sequence[Sample]) -> Stat:
        walls = [s.wall for s in samples]
        med = statistics.median(walls)
        return cls(wall=med, cpu=statistics.median(s.cpu for s in samples),
                   rss_kb=max(s.rss_kb for s in samples), n=len(samples),
                   spread=(max(walls) - min(walls)) / med if med else 0.0, out=samples[-1].out)


@dataclass
class Row:
    """One line of the table: ``ours`` against a reference (the floor) and optionally the old
    code. ``ratio`` is ours / ref in wall time (``metric="rss"``: peak RSS ratio)."""

    name: str
    ours: Stat
    ref: Stat | None
    target: str
    old: Stat | None = None
    metric: str = "wall"
    note: str = ""
    ratio_override: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.ratio_override is not None:
            return self.ratio_override
        if self.ref is None:
            return None
        if self.metric == "rss":
            return self.ours.rss_kb / self.ref.rss_kb
        return self.ours.wall / self.ref.wall

    @property
    def cpu_ratio(self) -> float | None:
        if self.ref is None or self.metric == "rss" or not self.ref.cpu:
            return None
        return self.ours.cpu / self.ref.cpu

    def ok(self) -> bool | None:
        r = self.ratio
        if r is None or not self.target.startswith("<="):
            return None
        return r <= float(self.target[2:].rstrip("sx"))


def run_process(argv: Sequence[str], env: dict[str, str] | None = None) -> Sample:
    """Wall time, CPU time (user + system) and peak RSS of exactly this child (``wait4``)."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(), err.read().decode()
    if code != 0:
        raise RuntimeError(f"{argv[0]} failed ({code}): {errors[-2000:]}")
    return Sample(wall=wall, cpu=usage.ru_utime + usage.ru_stime, rss_kb=usage.ru_maxrss,
                  out=text)


def run_inprocess(fn: Callable[[], Any]) -> Sample:
    t, c = time.perf_counter(), time.process_time()
    fn()
    return Sample(wall=time.perf_counter() - t, cpu=time.process_time() - c)


def interleave(contenders: dict[str, Callable[[], Sample]], repeat: int) -> dict[str, Stat]:
    """Run every contender ``repeat`` times, interleaved, alternating the order."""
    names = list(contenders)
    samples: dict[str, list[Sample]] = {n: [] for n in names}
    for r in range(repeat):
        for n in (names if r % 2 == 0 else names[::-1]):
            samples[n].append(contenders[n]())
    return {n: Stat.of(s) for n, s in samples.items()}


def anchor_floor(clip: Path, png: Path) -> None:
    """The least a start frame costs in-process: PyAV seeks to 0.1 s before the end (the
    ``ffmpeg -sseof -0.1`` reference), decodes to the end and writes the last frame's PNG."""
    import av

    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        end = float(c.duration / 1e6)
        c.seek(int((end - 0.1) / s.time_base), stream=s, backward=True)
        last = None
        for f in c.decode(s):
            last = f
        last.to_image().save(png, compress_level=1)


def find_ffmpeg(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except ImportError:
        pass
    sys.exit("no ffmpeg found: apt-get install ffmpeg, or pip install imageio-ffmpeg, "
             "or pass --ffmpeg PATH")


def python_env(extra_path: Path | None = None) -> dict[str, str]:
    """Environment for child Pythons: bytecode cached (in a folder of its own, so the work
    tree stays clean), as an installed package has it; ``extra_path`` first on sys.path."""
    import tempfile

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "ministudio-bench-pyc")
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    return env


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def print_table(rows: Sequence[Row], file: Any = None) -> None:
    file = file or sys.stdout
    head = (f"{'benchmark':<52} {'ours s':>7} {'cpu s':>6} {'ref s':>7} {'cpu s':>6} "
            f"{'old s':>7} {'ratio':>6} {'cpu':>5} {'target':>7} {'':>4} {'noise':>5}")
    print(head, file=file)
    print("-" * len(head), file=file)
    for r in rows:
        def f(v: float | None, w: int, p: int = 2) -> str:
            return f"{v:{w}.{p}f}" if v is not None else " " * (w - 1) + "-"

        if r.metric == "rss":
            ours, ref = r.ours.rss_kb / 1024, (r.ref.rss_kb / 1024 if r.ref else None)
            cells = f"{f(ours, 7, 0)} {'MiB':>6} {f(ref, 7, 0)} {'MiB':>6} {f(None, 7)}"
        else:
            cells = (f"{f(r.ours.wall, 7)} {f(r.ours.cpu, 6)} "
                     f"{f(r.ref.wall if r.ref else None, 7)} {f(r.ref.cpu if r.ref else None, 6)} "
                     f"{f(r.old.wall if r.old else None, 7)}")
        ok = r.ok()
        mark = "ok" if ok else ("OVER" if ok is False else "")
        noise = max(r.ours.spread, r.ref.spread if r.ref else 0.0)
        print(f"{r.name:<52} {cells} {f(r.ratio, 6)} {f(r.cpu_ratio, 5)} {r.target:>7} "
              f"{mark:>4} {noise:5.0%}", file=file)
        if r.note:
            print(f"    {r.note}", file=file)
