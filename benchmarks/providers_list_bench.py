"""Cold start of ``ministudio providers list`` (``python benchmarks/providers_list_bench.py``).

Fresh processes, interleaved with ``python -c pass`` (starting Python), with the *library
floor* (a process that imports what any listing with this design needs: click, attrs and
pluggy, and reads every ``*.dist-info/entry_points.txt`` on ``sys.path`` with plain file
calls), with the same floor reading them through ``importlib.metadata`` (what the listing did
before it read dist-info folders itself: the email package, zipfile and csv come with it) and
with
``python -c "import structlog"`` (what structlog would cost: it pulls in ``structlog.dev``
and with it ``rich.traceback``/``rich.pretty``; a listing never imports it); medians, CPU
time beside wall. Bytecode is cached (in a folder of its own), as in an installed package.
Target: <= 0.12 s.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Row, interleave, python_env, run_process  # noqa: E402


def rows(repeat: int = 21) -> list[Row]:
    env = python_env()
    exe = shutil.which("ministudio")
    listing = [exe, "providers", "list"] if exe else [sys.executable, "-m", "ministudio",
                                                      "providers", "list"]
    installed = json.loads(subprocess.run([*listing, "--json"], capture_output=True,
                                          text=True, check=True, env=env).stdout)
    for _ in range(2):  # write the bytecode cache and warm the file cache
        run_process(listing, env=env)
    stats = interleave({
        "list": lambda: run_process(listing, env=env),
        "pass": lambda: run_process([sys.executable, "-c", "pass"], env=env),
        "floor": lambda: run_process([sys.executable, "-c", FLOOR], env=env),
        "metadata": lambda: run_process([sys.executable, "-c", FLOOR_METADATA], env=env),
        "structlog": lambda: run_process([sys.executable, "-c", "import structlog"], env=env),
    }, repeat)
    names = ", ".join(sorted(r["name"] for r in installed))
    return [Row("providers list (cold process), seconds", stats["list"], stats["floor"],
                "<=0.12s", ratio_override=stats["list"].wall,
                note=f"ref = library floor (click+attrs+pluggy+entry_points.txt files); the "
                     f"floor through importlib.metadata {stats['metadata'].wall:.3f} s; "
                     f"python -c pass {stats['pass'].wall:.3f} s; import structlog alone "
                     f"{stats['structlog'].wall:.3f} s; providers: {names}"),
            Row("providers list vs library floor", stats["list"], stats["floor"], "-",
                note=_instructions(listing, env))]


def _instructions(listing: list[str], env: dict[str, str]) -> str:
    """Instructions executed (callgrind; the same on a busy machine as on a quiet one), when
    valgrind is installed."""
    if shutil.which("valgrind") is None:
        return "instructions: install valgrind to count them (deterministic, unlike wall time)"

    def count(argv: list[str]) -> float:
        out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                              *argv], capture_output=True, text=True, env=env, check=True)
        found = re.search(r"Collected : (\d+)", out.stderr)
        return int(found[1]) / 1e6 if found else float("nan")

    ours, floor = count(listing), count([sys.executable, "-c", FLOOR])
    metadata, bare = count([sys.executable, "-c", FLOOR_METADATA]), count(
        [sys.executable, "-c", "pass"])
    return (f"instructions (callgrind): ours {ours:.0f} M, library floor {floor:.0f} M "
            f"({ours / floor:.2f}x), through importlib.metadata {metadata:.0f} M, "
            f"python -c pass {bare:.0f} M")


#: what any listing with this design imports and reads, and nothing of ours
FLOOR = ("import click, attrs, pluggy, os, sys\n"
         "for root in sys.path:\n"
         "    try:\n"
         "        names = os.listdir(root or '.')\n"
         "    except OSError:\n"
         "        continue\n"
         "    for name in names:\n"
         "        if name.endswith(('.dist-info', '.egg-info')):\n"
         "            try:\n"
         "                with open(os.path.join(root, name, 'entry_points.txt')) as f:\n"
         "                    '[ministudio]' in f.read()\n"
         "            except OSError:\n"
         "                pass\n")
#: the same through importlib.metadata
FLOOR_METADATA = (
    "import click, attrs, pluggy, importlib.metadata as md\n"
    "[ep for d in md.distributions() for ep in d.entry_points if ep.group == 'ministudio']")


def main() -> None:
    from harness import load_line, print_table

    print(load_line())
    print_table(rows())


if __name__ == "__main__":
    main()
