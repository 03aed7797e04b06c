"""A render killed with SIGKILL at random points and restarted: finished shots are not paid
for again, submitted jobs are re-attached, and the result equals an uninterrupted render."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

CHILD = Path(__file__).with_name("kill_child.py")


def _run(project: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen([sys.executable, str(CHILD), str(project)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _journal_len(project: Path) -> int:
    journal = project / "journal.jsonl"
    return len(journal.read_text().splitlines()) if journal.exists() else 0


def test_sigkill_and_restart(tmp_path):
    rng = random.Random(11)
    killed = tmp_path / "killed"
    killed.mkdir()
    kills = 0
    for _ in range(4):
        # kill at a random point of progress (after 1-4 more provider submits/resumes),
        # not after a wall-clock delay, so the test means the same on a fast or busy machine
        before = _journal_len(killed)
        target = before + rng.randint(1, 4)
        proc = _run(killed)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if _journal_len(killed) >= target:
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        if (killed / "result.json").exists():
            break
    proc = _run(killed)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert kills >= 1

    clean = tmp_path / "clean"
    clean.mkdir()
    proc = _run(clean)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]

    # identical output: every shot's clip has the same content hash
    assert json.loads((killed / "result.json").read_text()) == json.loads(
        (clean / "result.json").read_text())
    # nothing paid twice: each shot was submitted once; interrupted jobs were re-attached
    journal = [json.loads(x) for x in (killed / "journal.jsonl").read_text().splitlines()]
    submits = Counter(e["shot"] for e in journal if e["kind"] == "submit")
    assert set(submits) == {f"s{s}.k{k}" for s in (1, 2) for k in (1, 2, 3)}
    assert max(submits.values()) == 1, submits
