"""Paid jobs are never paid twice.

A provider written exactly as the tutorial says (report the job, resumable, no own retries),
whose jobs take 5 s of wall time, renders a 2-shot film with exactly 2 paid jobs whether the
call limit is shorter than the job, the first poll of every job fails, the first download of
every job is an HTML page, or the render is SIGKILLed mid-poll and run again. Shot b continues
from shot a, so its request is image-to-video (a's last frame)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tutorial_provider
from ministudio.config import load_settings
from ministudio.dispatch import RetryPolicy
from ministudio.engine import RenderFailedError, render
from ministudio.engine.ledger import Ledger
from ministudio.media import validate_clip
from ministudio.plugins import PluginManager
from ministudio.testing.taskapi import FakeTaskAPI

FILM = """
title: Two Paid Shots
format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
defaults: {provider: tutorial, seed: 3}
environments:
  sea: {description: a grey sea}
scenes:
  - id: one
    environment: sea
    shots:
      - {id: a, action: Waves roll in., duration: 1}
      - {id: b, action: A gull lands., duration: 1}
"""
JOB_S = 5.0
RETRY = RetryPolicy(attempts=4, initial_s=1.0, max_wait_s=2.0)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "film.yaml").write_text(FILM)
    return tmp_path / "film.yaml"


def _render(tmp_path: Path, api: FakeTaskAPI, *overrides: str, retry: RetryPolicy = RETRY):
    env = {"TASKAPI_KEY": api.key}
    manager = PluginManager(load_entrypoints=False, env=env)
    manager.register(tutorial_provider, "tutorial")
    settings = load_settings(project_dir=tmp_path, env=env, user_config=tmp_path / "none.toml",
                             overrides=overrides)
    return render(tmp_path / "film.yaml", out=tmp_path / "out", manager=manager,
                  settings=settings, transport=api.transport(), retry=retry)


def _check(tmp_path: Path, result, api: FakeTaskAPI, render_cost: float = 0.2) -> list[dict]:
    assert result.status == "done"
    validate_clip(result.film)
    assert api.submissions == 2
    ledger = Ledger(tmp_path / ".ministudio" / "ledger.sqlite")
    try:
        jobs = ledger.jobs()
        attempts = ledger.attempts()
    finally:
        ledger.close()
    assert [j["status"] for j in jobs] == ["delivered", "delivered"]
    # cost counted once per job, however many attempts re-attached
    assert sum(float(a["cost"] or 0) for a in attempts) == pytest.approx(0.2)
    assert float(result.actual_cost) == pytest.approx(render_cost)
    return attempts


@pytest.mark.parametrize("case", ["call-timeout", "poll-error", "html-download"])
def test_two_shots_two_paid_jobs(tmp_path, case):
    _project(tmp_path)
    overrides: tuple[str, ...] = ()
    api = FakeTaskAPI(job_s=JOB_S)
    if case == "call-timeout":
        overrides = ("providers.tutorial.timeout_s=2",)
    elif case == "poll-error":
        api.poll_errors = 1
    else:
        api.html_downloads = 1
    result = _render(tmp_path, api, *overrides)
    attempts = _check(tmp_path, result, api)
    resumed = [a for a in attempts if a["resumed_job"]]
    assert resumed, "the retries re-attached to the paid jobs"
    assert {a["resumed_job"] for a in resumed} <= {a["job_id"] for a in attempts
                                                   if not a["resumed_job"]}


def test_job_still_running_when_tries_run_out_is_reattached_by_the_next_render(tmp_path):
    _project(tmp_path)
    api = FakeTaskAPI(job_s=4.0)
    with pytest.raises(RenderFailedError) as info:
        _render(tmp_path, api, "providers.tutorial.timeout_s=0.5",
                retry=RetryPolicy(attempts=2, initial_s=0.1, max_wait_s=0.1))
    assert "re-attaches" in str(info.value)
    assert api.submissions == 1  # shot b continues from a, so it waits for a's last frame
    time.sleep(1.0)
    result = _render(tmp_path, api)  # the next render: same jobs, nothing paid again
    _check(tmp_path, result, api, render_cost=0.1)  # a was counted by the first render


def test_a_failed_job_is_not_reattached(tmp_path):
    (tmp_path / "film.yaml").write_text(FILM.replace("A gull lands.", "A doomed gull lands."))
    api = FakeTaskAPI(job_s=0.2, fail_jobs="doomed")
    with pytest.raises(RenderFailedError):
        _render(tmp_path, api)
    assert api.submissions == 2  # JobFailedError is final: no retry pays again
    ledger = Ledger(tmp_path / ".ministudio" / "ledger.sqlite")
    try:
        assert sorted(j["status"] for j in ledger.jobs()) == ["delivered", "failed"]
    finally:
        ledger.close()


def test_sigkill_mid_poll_then_rerun(tmp_path):
    _project(tmp_path)
    child = Path(__file__).with_name("paid_child.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    api_dir = tmp_path / "api" / "jobs"
    proc = subprocess.Popen([sys.executable, str(child), str(tmp_path), str(JOB_S)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if api_dir.is_dir() and len(list(api_dir.glob("*.json"))) >= 2:
            time.sleep(0.5)  # both jobs submitted and being polled
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc = subprocess.Popen([sys.executable, str(child), str(tmp_path), str(JOB_S)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-2000:]
    api = FakeTaskAPI(state_dir=tmp_path / "api")
    assert api.submissions == 2
    films = list((tmp_path / "out").glob("*.mp4"))
    assert films
    validate_clip(films[0])
    ledger = Ledger(tmp_path / ".ministudio" / "ledger.sqlite")
    try:
        assert [j["status"] for j in ledger.jobs()] == ["delivered", "delivered"]
        assert any(a["resumed_job"] for a in ledger.attempts())
    finally:
        ledger.close()
