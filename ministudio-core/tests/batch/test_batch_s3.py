"""Delivery to a real S3 API served locally (moto's server mode), through s3fs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_helpers import tiny_films
from ministudio.batch import run_batch
from ministudio.batch.sinks import Sink, upload_folder
from ministudio.testing.fakes import FakeClipPlugin

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
pytestmark = pytest.mark.slow

CANARY = "canary-SECRET-6f1d2c9a8b7e"
BUCKET = "films"


@pytest.fixture(scope="module")
def s3_endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """Credentials and endpoint in the environment, as s3fs/botocore read them; a bucket."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CANARY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    if BUCKET not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket=BUCKET)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    return client


def keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_films_land_under_the_prefix(tmp_path, s3):
    tiny_films(tmp_path, 2)
    summary = run_batch([tmp_path], out=f"s3://{BUCKET}/series/s1/",
                        plugins=[FakeClipPlugin(name="fake")])
    assert [f.status for f in summary.films] == ["done", "done"]
    assert summary.film("film1").delivered == f"s3://{BUCKET}/series/s1/film1"
    found = keys(s3, "series/s1/")
    for name in ("film1", "film2"):
        assert f"series/s1/{name}/manifest.json" in found
        assert f"series/s1/{name}/tiny-{name[-1]}.mp4" in found
        assert f"series/s1/{name}/report.html" in found
        local = Path(summary.film(name).file)
        body = s3.get_object(Bucket=BUCKET, Key=f"series/s1/{name}/{local.name}")["Body"].read()
        assert body == local.read_bytes()
    assert not [k for k in found if ".partial-" in k]
    assert not [k for k in found if ".ministudio-out" in k]


UPLOAD = """
import sys
from pathlib import Path
from ministudio.batch.sinks import Sink, upload_folder
upload_folder(Path(sys.argv[1]), Sink(url=sys.argv[2], chunksize=5 * 2**20), "film")
"""


def test_a_crash_mid_upload_leaves_no_object_at_the_final_key(tmp_path, s3):
    folder = tmp_path / "render"
    folder.mkdir()
    (folder / "a-small.txt").write_text("first\n")
    (folder / "film.mp4").write_bytes(os.urandom(48 * 2**20))  # 10 parts of 5 MiB
    (folder / "manifest.json").write_text("{}")
    proc = subprocess.Popen([sys.executable, "-c", UPLOAD, str(folder), f"s3://{BUCKET}/crash"],
                            env=os.environ.copy())
    deadline = time.monotonic() + 120
    try:
        # the small file is uploaded first, to its temporary key; then the film starts
        while not any(".partial-" in k for k in keys(s3, "crash/")):
            assert proc.poll() is None, "the upload ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        while not s3.list_multipart_uploads(Bucket=BUCKET, Prefix="crash/").get("Uploads"):
            assert proc.poll() is None, "the upload ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    found = keys(s3, "crash/")
    assert "crash/film/film.mp4" not in found
    assert "crash/film/manifest.json" not in found
    assert "crash/film/a-small.txt" not in found  # nothing is moved before all are uploaded
    assert all(".partial-" in k for k in found), found

    # the next upload delivers everything and sweeps the crashed one's temporary keys
    url = upload_folder(folder, Sink(url=f"s3://{BUCKET}/crash"), "film")
    assert url == f"s3://{BUCKET}/crash/film"
    assert keys(s3, "crash/") == ["crash/film/a-small.txt", "crash/film/film.mp4",
                                  "crash/film/manifest.json"]
    body = s3.get_object(Bucket=BUCKET, Key="crash/film/film.mp4")["Body"].read()
    assert body == (folder / "film.mp4").read_bytes()


def test_the_secret_appears_in_no_log_or_event(tmp_path, s3):
    films = tiny_films(tmp_path, 2, broken=None)
    for film in films:  # the CLI loads plugins from entry points: render with animatic
        film.write_text(film.read_text().replace("provider: fake", "provider: animatic"))
    env = {**os.environ, "MINISTUDIO_DEBUG": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "ministudio", "-vv", "--log-format", "json", "batch", str(tmp_path),
         "--out", f"s3://{BUCKET}/canary/", "--json"],
        capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert events[-1]["event"] == "batch.done" and events[-1]["done"] == 2
    assert "sink.upload" in proc.stderr  # the log did cover the upload
    assert CANARY not in proc.stdout and CANARY not in proc.stderr
    assert "canary/film1/manifest.json" in keys(s3, "canary/")

    # a store that refuses the credentials: the failure is named, the secret is not
    bad = subprocess.run(
        [sys.executable, "-m", "ministudio", "-vv", "batch", str(films[0]),
         "--out", "s3://no-such-bucket/x/", "--json"],
        capture_output=True, text=True, env=env, timeout=600)
    assert bad.returncode == 1
    assert "uploading to s3://no-such-bucket/x/film1 failed" in bad.stdout
    assert CANARY not in bad.stdout and CANARY not in bad.stderr


def test_projects_on_s3_render_on_a_worker_with_no_shared_folder(tmp_path, s3):
    import shutil

    import s3fs
    from ministudio.batch.remote import working_copy

    fs = s3fs.S3FileSystem()
    for film in tiny_films(tmp_path, 2):
        fs.put_file(str(film), f"{BUCKET}/projects/{film.parent.name}/film.yaml")
    fake = FakeClipPlugin(name="fake")
    summary = run_batch([f"s3://{BUCKET}/projects/"], plugins=[fake])
    assert [(f.name, f.status) for f in summary.films] == [("film1", "done"), ("film2", "done")]
    assert fake.calls == 4
    assert summary.film("film1").path == f"s3://{BUCKET}/projects/film1/film.yaml"
    assert summary.film("film1").delivered == f"s3://{BUCKET}/projects/film1/out/film1"
    found = keys(s3, "projects/film1/")
    assert "projects/film1/out/film1/manifest.json" in found
    assert "projects/film1/.ministudio/ledger.sqlite" in found
    assert sum(k.startswith("projects/film1/.ministudio/media/") for k in found) >= 2
    assert not [k for k in found if ".partial-" in k or "/work-" in k]

    # another worker (no working copies): the state comes from the store, nothing is redone
    for n in (1, 2):
        shutil.rmtree(working_copy(f"s3://{BUCKET}/projects/film{n}"))
    again = run_batch([f"s3://{BUCKET}/projects/film1/film.yaml",
                       f"s3://{BUCKET}/projects/film2/film.yaml"], plugins=[fake])
    assert [f.status for f in again.films] == ["done", "done"]
    assert fake.calls == 4 and [f.provider_calls for f in again.films] == [0, 0]
    assert [f.cached_shots for f in again.films] == [2, 2]
