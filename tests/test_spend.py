"""Before anything is spent: credentials are checked and a paid render asks first.

Through the real `ministudio` command with the installed plugins: vertex without credentials is
refused before any speech or clip work, naming the variables; a paid provider (the job-kit
example `taskapi`) on a terminal asks, and `--yes` / `--max-cost` skip the question; without a
terminal it refuses with how to proceed."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def ministudio(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml"), **env}
    return subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                          text=True, env=full_env, timeout=600)

FILM = """
title: Paid Test
format: {aspect_ratio: "16:9", resolution: 720p, fps: 24}
environments:
  sea: {description: a grey sea}
scenes:
  - id: one
    environment: sea
    shots:
      - {id: a, action: Waves roll in., duration: 4, narration: The sea is calm.}
"""
NO_CREDS = {"VERTEX_ACCESS_TOKEN": "", "GOOGLE_APPLICATION_CREDENTIALS": "",
            "GOOGLE_CLOUD_PROJECT": "", "TASKAPI_KEY": ""}


def _film(tmp_path: Path) -> Path:
    (tmp_path / "film.yaml").write_text(FILM)
    return tmp_path / "film.yaml"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    # HOME without gcloud application-default credentials
    return {**NO_CREDS, "HOME": str(tmp_path / "home"), **extra}


def test_vertex_without_credentials_is_refused_before_any_work(tmp_path):
    film = _film(tmp_path)
    env = _env(tmp_path)
    for args in (["render", str(film), "--provider", "vertex", "--yes"],
                 ["render", str(film), "--provider", "vertex", "--dry-run"],
                 ["validate", str(film), "--provider", "vertex"],
                 ["plan", str(film), "--provider", "vertex"]):
        proc = ministudio(*args, **env)
        assert proc.returncode != 0, args
        text = proc.stderr
        assert "VERTEX_ACCESS_TOKEN" in text and "GOOGLE_APPLICATION_CREDENTIALS" in text, text
        assert "docs/providers/vertex.md" in text
        assert "allow-gaps" not in text
    # nothing was synthesised, generated or even recorded
    assert not (tmp_path / ".ministudio").exists()
    assert not (tmp_path / "out").exists()


def test_taskapi_without_key_names_the_variable(tmp_path):
    proc = ministudio("render", str(_film(tmp_path)), "--provider", "taskapi", "--yes",
                      **_env(tmp_path))
    assert proc.returncode == 1
    assert "taskapi: set TASKAPI_KEY" in proc.stderr
    assert not (tmp_path / ".ministudio").exists()


def test_paid_render_without_a_terminal_refuses_and_says_how(tmp_path):
    proc = ministudio("render", str(_film(tmp_path)), "--provider", "taskapi",
                      **_env(tmp_path, TASKAPI_KEY="k"))
    assert proc.returncode == 2
    assert "estimated at 0.40 USD" in proc.stderr
    assert "--yes" in proc.stderr and "--max-cost" in proc.stderr
    assert not (tmp_path / ".ministudio").exists()


def test_max_cost_skips_the_question(tmp_path):
    # a cap of 0 lets the render start (no question) and stops it before the paid submit
    proc = ministudio("render", str(_film(tmp_path)), "--provider", "taskapi", "--max-cost", "0",
                      "--json", **_env(tmp_path, TASKAPI_KEY="k"))
    assert "estimated at" not in proc.stderr
    assert "budget" in (proc.stdout + proc.stderr).lower()


def _on_terminal(args: list[str], env: dict[str, str], answer: bytes | None) -> tuple[int, str]:
    leader, follower = pty.openpty()
    full = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml"), **env,
            "COLUMNS": "80"}
    proc = subprocess.Popen([sys.executable, "-m", "ministudio", *args], stdin=follower,
                            stdout=follower, stderr=follower, env=full, close_fds=True)
    os.close(follower)
    seen = b""
    answered = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if answer is not None and not answered and b"Spend it?" in seen:
            os.write(leader, answer)
            answered = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return proc.returncode, seen.decode("utf-8", "replace")


def test_paid_render_on_a_terminal_asks_and_no_spends_nothing(tmp_path):
    code, text = _on_terminal(["render", str(_film(tmp_path)), "--provider", "taskapi"],
                              _env(tmp_path, TASKAPI_KEY="k"), b"n\n")
    assert "estimated at 0.40 USD" in text and "Spend it?" in text, text
    assert code == 1 and "nothing was spent" in text
    assert not (tmp_path / ".ministudio").exists()


def test_yes_skips_the_question_on_a_terminal(tmp_path):
    code, text = _on_terminal(["render", str(_film(tmp_path)), "--provider", "taskapi", "--yes",
                               "--max-cost", "0"], _env(tmp_path, TASKAPI_KEY="k"), None)
    assert "Spend it?" not in text


def test_providers_show_says_which_credentials_are_missing(tmp_path):
    proc = ministudio("providers", "show", "vertex", **_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "credentials: MISSING" in proc.stdout and "docs/providers/vertex.md" in proc.stdout
    assert "(optional)" not in proc.stdout
    ready = ministudio("providers", "show", "vertex", "--json",
                       **_env(tmp_path, VERTEX_ACCESS_TOKEN="t", GOOGLE_CLOUD_PROJECT="p"))
    import json

    assert json.loads(ready.stdout)["auth"]["problem"] is None
