"""A whole film through the real ``ministudio`` command against the fake Kling API served on
127.0.0.1 (``python -m ministudio_kling.fake``), with ``[providers.kling] base_url``: the render
is SIGKILLed while it polls the first shot's task, the next render re-attaches, and the film
comes out with each shot submitted exactly once (shot b continues from a: image-to-video)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av

FILM = """
title: Kling Dry Run
format: {aspect_ratio: "16:9", resolution: 720p, fps: 24}
defaults: {provider: kling, model: kling-v2-5-turbo}
environments:
  sea: {description: a grey sea at dawn}
scenes:
  - id: one
    environment: sea
    shots:
      - {id: a, action: Waves roll in., duration: 5}
      - {id: b, action: A gull lands on the rail., duration: 5}
"""


def _tasks(state: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((state / "tasks").glob("*.json"))]


def _render(project: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ministudio", "render", "film.yaml", "--out",
                             "out", "-y"], cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_film_against_the_fake_server_survives_sigkill(tmp_path: Path) -> None:
    state, project = tmp_path / "api", tmp_path / "film"
    project.mkdir()
    server = subprocess.Popen([sys.executable, "-m", "ministudio_kling.fake", "--port", "0",
                               "--state-dir", str(state), "--job-s", "3"],
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        (project / "film.yaml").write_text(FILM)
        (project / "ministudio.toml").write_text(
            f'[providers.kling]\nbase_url = "{base_url}"\npoll_initial_s = 0.2\n'
            "poll_max_s = 0.5\n")
        env = {**os.environ, "MINISTUDIO_CONFIG": str(tmp_path / "no-config.toml"),
               "KLING_ACCESS_KEY": "ak-test",
               "KLING_SECRET_KEY": "sk-test-0123456789abcdef0123456789abcdef"}

        first = _render(project, env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and first.poll() is None and not _tasks(state):
            time.sleep(0.05)
        assert first.poll() is None, first.communicate()[1][-2000:]
        time.sleep(1.0)  # mid-poll: the task exists and is not done (3 s)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert len(_tasks(state)) == 1

        second = _render(project, env)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, (out + err)[-3000:]
    finally:
        server.kill()
        server.wait(timeout=30)

    tasks = _tasks(state)
    assert len(tasks) == 2, "each shot is paid for once: the killed shot was re-attached"
    assert [t["kind"] for t in tasks if t["kind"] == "image2video"], "b continues from a"
    films = list((project / "out").glob("*.mp4"))
    assert len(films) == 1
    with av.open(str(films[0])) as container:
        assert float(container.duration or 0) / av.time_base >= 9.5
