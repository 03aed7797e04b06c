"""The dask executor on a real ``distributed.LocalCluster`` with two worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import KillAlways, KillOnce, broken_plugin, tiny_films
from ministudio.batch import run_batch
from ministudio.engine.ledger import Ledger
from ministudio.testing.fakes import FakeClipPlugin

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    import os

    old = os.environ.get("MINISTUDIO_CONFIG")
    os.environ["MINISTUDIO_CONFIG"] = str(tmp_path_factory.getbasetemp() / "no-config.toml")
    import dask

    # a task is given up after its second lost worker (the default, 3, only takes longer)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                           dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()
        if old is None:
            os.environ.pop("MINISTUDIO_CONFIG", None)
        else:
            os.environ["MINISTUDIO_CONFIG"] = old


@pytest.fixture
def client(cluster):
    from ministudio.batch.executors.dask import DaskExecutor

    with distributed.Client(cluster) as c:
        yield c, DaskExecutor(client=c)


def generations(film: Path) -> dict[str, int]:
    """Successful clip generations per shot, from the film's ledger."""
    ledger = Ledger(film.parent / ".ministudio" / "ledger.sqlite")
    try:
        out: dict[str, int] = {}
        for a in ledger.attempts():
            if a["stage"] == "generate" and a["status"] == "ok":
                out[a["shot_id"]] = out.get(a["shot_id"], 0) + 1
        return out
    finally:
        ledger.close()


def test_six_films_on_two_workers_one_broken_fails_alone(tmp_path, client):
    _c, executor = client
    films = tiny_films(tmp_path, 6, broken=4)
    events: list[dict] = []
    summary = run_batch([tmp_path], executor=executor,
                        plugins=[FakeClipPlugin(name="fake"), broken_plugin()],
                        emit=events.append)
    assert summary.executor == "dask"
    status = {f.name: f.status for f in summary.films}
    assert status == {f"film{i}": ("failed" if i == 4 else "done") for i in range(1, 7)}
    assert "broken provider refuses" in summary.film("film4").reason
    assert [f.name for f in summary.failed] == ["film4"]
    assert {f.worker for f in summary.films if f.ok} and all(
        Path(summary.film(f"film{i}").file).is_file() for i in (1, 2, 3, 5, 6))
    # both worker processes rendered films
    assert len({f.worker for f in summary.films}) == 2
    assert sum(f.provider_calls for f in summary.films if f.ok) == 10
    # worker events reached the client
    assert any(e["event"] == "film.progress" and e["kind"] == "shot" for e in events)
    for film in films:
        if film.parent.name != "film4":
            assert generations(film) == {"s.a": 1, "s.b": 1}


def test_a_worker_killed_mid_film_loses_nothing(tmp_path, client, cluster):
    _c, executor = client
    films = tiny_films(tmp_path, 4)
    marker = tmp_path / "killed"
    fake = FakeClipPlugin(name="fake", fail=KillOnce(marker, "room number 2"))
    summary = run_batch([tmp_path], executor=executor, plugins=[fake])
    assert marker.exists(), "the worker was not killed"
    assert [f.status for f in summary.films] == ["done"] * 4, [f.reason for f in summary.films]
    # film2's first shot was stored before its worker died: generated once, never again
    assert generations(films[1]) == {"s.a": 1, "s.b": 1}
    # the rerun renders only what is missing: nothing
    again = run_batch([tmp_path], executor=f"dask://{cluster.scheduler_address}",
                      plugins=[fake])
    assert [f.status for f in again.films] == ["done"] * 4
    assert [f.provider_calls for f in again.films] == [0, 0, 0, 0]
    assert [f.cached_shots for f in again.films] == [2, 2, 2, 2]


def test_a_film_that_keeps_killing_its_workers_fails_alone(tmp_path, client):
    _c, executor = client
    tiny_films(tmp_path, 3)
    fake = FakeClipPlugin(name="fake", fail=KillAlways("room number 3"))
    summary = run_batch([tmp_path], executor=executor, plugins=[fake])
    status = {f.name: (f.status, f.error_type) for f in summary.films}
    assert status["film1"] == ("done", None) and status["film2"] == ("done", None)
    assert status["film3"] == ("failed", "KilledWorker"), summary.film("film3").reason


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    import socket

    from ministudio.errors import ConfigError

    tiny_films(tmp_path, 1)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=f"cannot start the Dask scheduler at 127.0.0.1:{port}"):
        run_batch([tmp_path], executor=f"dask://127.0.0.1:{port}")
    assert not (tmp_path / "film1" / "out").exists()


def test_an_interrupted_dask_batch_stops_its_tasks_and_exits(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    films = tiny_films(tmp_path, 6)
    for film in films:
        film.write_text(film.read_text().replace("provider: fake", "provider: animatic"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ministudio", "batch", str(tmp_path), "--executor", "dask",
         "--workers", "2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    for line in proc.stdout:
        if '"film.start"' in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    assert "aborted" in err
    assert "never retrieved" not in err and '"batch.done"' not in out
