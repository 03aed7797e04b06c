"""The ray executor on a local Ray instance on CPU: clips of a local diffusers model (a tiny
random-weight LTX-Video pipeline, saved and loaded through ``from_pretrained``) rendered by two
actors, shots of both films spread over both."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from ministudio.batch import run_batch

ray = pytest.importorskip("ray")
pytest.importorskip("diffusers")
pytest.importorskip("ministudio_local.diffusers")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]

FILM = """\
title: Kite {n}
format: {{aspect_ratio: "16:9", resolution: 480p, fps: 24}}
defaults: {{provider: ltx-video, model: ltx-video-0.9.5, seed: {n}}}
environments:
  sky: {{description: green hills under a blue sky}}
scenes:
  - id: s
    environment: sky
    shots:
      - {{id: a, action: a red kite flies over green hills, duration: 1}}
      - {{id: b, action: a blue kite flies over the city, duration: 1, continuity: cut}}
"""

SETTINGS = """\
[providers.ltx-video]
steps = 2
device = "cpu"
size = "64x32"
preset = "ultrafast"

[providers.ltx-video.weights]
"ltx-video-0.9.5" = "{weights}"
"""


def _builders():
    """The tiny pipeline builders of ministudio-local's diffusers tests."""
    path = REPO / "ministudio-local" / "tests" / "diffusers" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_tiny_diffusers_builders", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_ltx(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("weights") / "ltx"
    _builders().tiny_ltx().save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_two_actors_share_the_shots_of_two_films(tmp_path, tiny_ltx, local_ray):
    from ministudio.batch.executors.ray import RayExecutor

    for n in (1, 2):
        folder = tmp_path / f"kite{n}"
        folder.mkdir()
        (folder / "film.yaml").write_text(FILM.format(n=n))
        (folder / "ministudio.toml").write_text(SETTINGS.format(weights=tiny_ltx))
    executor = RayExecutor(actors=2, slots=2)
    events: list[dict] = []
    summary = run_batch([tmp_path], executor=executor, emit=events.append)
    assert [f.status for f in summary.films] == ["done", "done"], [f.reason for f in summary.films]
    calls = executor.pool.calls
    assert len(calls) == 2 and sum(calls.values()) == 4
    assert all(n >= 1 for n in calls.values()), calls  # both actors rendered shots
    assert next(e for e in events if e["event"] == "batch.actors")["actors"] == list(calls)
    for f in summary.films:
        assert Path(f.file).is_file() and f.provider_calls == 2
    # the actors are processes of their own, not this one
    assert all(int(aid.rsplit(":", 1)[1]) != os.getpid() for aid in calls)


def test_on_gpus_one_actor_per_gpu(tmp_path, tiny_ltx, local_ray):
    """Runs where torch sees CUDA GPUs and Ray was given them (skipped on CPU machines)."""
    torch = pytest.importorskip("torch")
    gpus = int(ray.cluster_resources().get("GPU", 0))
    if not torch.cuda.is_available() or gpus < 1:
        pytest.skip("no CUDA GPU for Ray here")
    from ministudio.batch.executors.ray import RayExecutor

    for n in range(1, gpus + 1):
        folder = tmp_path / f"kite{n}"
        folder.mkdir()
        (folder / "film.yaml").write_text(FILM.format(n=n))
        (folder / "ministudio.toml").write_text(
            SETTINGS.format(weights=tiny_ltx).replace('device = "cpu"', 'device = "cuda"'))
    executor = RayExecutor(slots=gpus)  # one actor per GPU, num_gpus=1 each
    summary = run_batch([tmp_path], executor=executor)
    assert all(f.status == "done" for f in summary.films), [f.reason for f in summary.films]
    assert len(executor.pool.actors) == gpus
    ids = ray.get([actor.gpu_ids.remote() for _aid, actor in executor.pool.actors])
    assert sorted(i for one in ids for i in one) == sorted({i for one in ids for i in one})
    assert all(len(one) == 1 for one in ids)  # each actor holds exactly one GPU
    assert {device for _a, _s, device in executor.pool.shots} == {"cuda"}
