"""The studio's HTTP API against a real server and real offline renders (animatic + piper):
no token, cross-origin changes, one render per project, the bound across projects, paid
renders need a confirmation, cancel, and a render killed mid-way resumed from the API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path


def test_no_token_and_cross_origin_are_refused_by_the_real_server(
        tmp_path: Path, studio_server, init_film) -> None:
    init_film(tmp_path / "a")
    studio = studio_server(tmp_path, "--max-renders", "1")
    import httpx

    bare = httpx.get(studio.url + "/api/projects")
    assert bare.status_code == 401 and "token" in bare.json()["error"]
    assert httpx.get(studio.url + "/", headers={"Authorization": "Bearer x" * 3}).status_code == 401
    evil = studio.client.post("/api/renders", json={"film": "a/film.yaml"},
                              headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert studio.client.get("/api/renders").json()["renders"] == []  # nothing was started
    # a render the command refuses fails with the command's own message, never a traceback
    (tmp_path / "a" / "out" / "film").mkdir(parents=True)
    (tmp_path / "a" / "out" / "film" / "my-notes.txt").write_text("mine")
    refused = studio.wait(studio.client.post("/api/renders", json={"film": "a/film.yaml"}
                                             ).json()["id"])
    assert refused["state"] == "failed" and refused["returncode"] == 2
    assert "my-notes.txt" in refused["error"] and "Traceback" not in refused["error"]
    # a render started from a terminal holds the project too: the studio refuses a second
    shutil.rmtree(tmp_path / "a" / "out")
    cli = subprocess.Popen([sys.executable, "-m", "ministudio", "render", "film.yaml", "--json",
                            "--yes"], cwd=tmp_path / "a", stdout=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        assert cli.stdout is not None
        for line in cli.stdout:  # the lock is held from before the first event
            if json.loads(line).get("event"):
                break
        busy = studio.client.post("/api/renders", json={"film": "a/film.yaml"})
        assert busy.status_code == 409, busy.text
        assert f"pid {cli.pid}" in busy.json()["error"]
    finally:
        os.killpg(cli.pid, signal.SIGKILL)
        cli.wait()
    deadline = time.monotonic() + 30
    while True:  # the lock dies with its process
        probe = studio.client.post("/api/renders", json={"film": "a/film.yaml",
                                                         "force": ["no-such-shot"]})
        if probe.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert probe.status_code == 400  # free again: only the unknown shot is refused
    # the printed URL works in a browser-like client: cookie, then pages and the API
    with httpx.Client(follow_redirects=True) as browser:
        page = browser.get(studio.open_url)
        assert page.status_code == 200 and "Projects" in page.text
        assert str(page.url) == studio.url + "/"
        assert browser.get(studio.url + "/api/projects").json()["films"][0]["film"] == "a/film.yaml"


def test_killed_render_resumes_one_render_per_project_and_the_bound(
        tmp_path: Path, studio_server, init_film) -> None:
    init_film(tmp_path / "a")
    init_film(tmp_path / "b")
    studio = studio_server(tmp_path, "--max-renders", "1")
    api = studio.client

    first = api.post("/api/renders", json={"film": "a/film.yaml"})
    assert first.status_code == 202, first.text
    run = first.json()
    # a second render of the same project is refused while the first runs
    again = api.post("/api/renders", json={"film": "a/film.yaml"})
    assert again.status_code == 409 and "already rendering" in again.json()["error"]
    # another project waits for a slot (studio.max_renders = 1), and can be cancelled there
    other = api.post("/api/renders", json={"film": "b/film.yaml"})
    assert other.status_code == 202
    assert api.get(f"/api/renders/{other.json()['id']}").json()["state"] == "queued"
    cancelled = api.post(f"/api/renders/{other.json()['id']}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["finished"]
    assert api.post("/api/renders", json={"film": "b/film.yaml"}).status_code == 202  # free
    again_b = api.get("/api/renders", params={"film": "b/film.yaml", "active": "1"}).json()
    assert [r["state"] for r in again_b["renders"]] == ["queued"]
    api.post(f"/api/renders/{again_b['renders'][0]['id']}/cancel")

    # follow the first render's events until its first clip is stored and cached (the
    # engine scores it next), then SIGKILL it: the second clip, which continues from the
    # first, cannot be finished yet
    seen = list(studio.events(run["id"], until=lambda e: e.get("event") == "shot"
                              and e.get("shot") == "hello.wave" and e.get("state") == "scoring"))
    assert seen[-1]["shot"] == "hello.wave"
    assert not any(e.get("shot") == "hello.chart" and e.get("stage") == "generate" for e in seen)
    assert {e["event"] for e in seen} >= {"speech.phase", "render.start", "shot", "attempt"}
    status = api.get(f"/api/renders/{run['id']}").json()
    assert status["state"] == "running" and status["pid"]
    os.killpg(status["pid"], signal.SIGKILL)
    killed = studio.wait(run["id"])
    assert killed["state"] == "failed" and "killed" in killed["error"]
    assert api.get(f"/api/renders/{other.json()['id']}").json()["state"] == "cancelled"
    assert not (tmp_path / "a" / "out" / "film" / "manifest.json").exists()

    # the next render resumes: the finished shot and the speech come from the cache
    second = api.post("/api/renders", json={"film": "a/film.yaml"})
    assert second.status_code == 202, second.text
    done = studio.wait(second.json()["id"])
    assert done["state"] == "done", done["error"]
    manifest = json.loads((tmp_path / "a" / "out" / "film" / "manifest.json").read_text())
    wave, chart = manifest["shots"]
    assert wave["cached"] is True and wave["attempts"] == []
    assert chart["cached"] is False
    assert [a["stage"] for a in chart["attempts"]] == ["generate"]
    assert all(line["cached"] for shot in manifest["shots"] for line in shot["speech"])
    assert done["result"]["provider_calls"] == manifest["provider_calls"] == 1
    # the ledger: the killed production paid for two speech lines and one clip, the resumed
    # one for the missing clip only
    with sqlite3.connect(tmp_path / "a" / ".ministudio" / "ledger.sqlite") as db:
        rows = db.execute("SELECT production_id, stage, shot_id FROM attempts WHERE "
                          "status = 'ok' ORDER BY id").fetchall()
    by_production: dict[int, list[tuple[str, str]]] = {}
    for production, stage, shot in rows:
        by_production.setdefault(production, []).append((stage, shot))
    assert list(by_production.values())[-1] == [("generate", "hello.chart")]
    assert ("generate", "hello.wave") in list(by_production.values())[0]

    # a finished render's events replay in full; Last-Event-ID resumes after an event;
    # format=jsonl gives the same events one per line, as `render --json` prints them
    replay = [e for e in studio.events(second.json()["id"]) if e["event"] != "end"]
    assert replay[-1]["event"] == "render.done" and replay[-1]["provider_calls"] == 1
    with api.stream("GET", f"/api/renders/{second.json()['id']}/events",
                    headers={"Last-Event-ID": "2"}) as res:
        ids = [int(line[4:]) for line in res.iter_lines() if line.startswith("id: ")]
    assert ids == list(range(3, len(replay)))
    lines = api.get(f"/api/renders/{second.json()['id']}/events?format=jsonl")
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in lines.text.splitlines()]
    assert rows[:-1] == replay and rows[-1]["event"] == "end" and rows[-1]["state"] == "done"

    # every take the ledger holds, with identity crops; the kept one is the manifest's clip
    for shot in ("hello.wave", "hello.chart"):
        shot_takes = api.get("/api/takes/a/film.yaml", params={"shot": shot}).json()["takes"]
        assert len(shot_takes) == 1 and shot_takes[0]["kept"] is True, shot_takes
        take = api.get(shot_takes[0]["url"])
        assert take.status_code == 200 and take.content[4:8] == b"ftyp"
    # (the first take was killed while being scored, so only the second has its scores)
    [pip] = shot_takes[0]["identity"].values()
    assert pip["kind"] == "face" and pip["score"] > 0
    assert api.get(pip["crop_url"]).content[:4] == b"\x89PNG"

    # the last render's outputs through the API, and the film downloads
    out = api.get("/api/output/a/film.yaml").json()
    assert out["status"] == "done" and out["files"]["film"].endswith(".mp4")
    film = api.get(out["files"]["film"])
    assert film.status_code == 200 and film.content[4:8] == b"ftyp"
    assert api.get("/api/projects").json()["films"][0]["last_render"]["status"] == "done"


def test_a_paid_render_needs_confirmation_and_can_be_cancelled(
        tmp_path: Path, studio_server, init_film) -> None:
    film = init_film(tmp_path / "paid")
    (tmp_path / "paid" / "ministudio.toml").write_text(
        '[pricing.animatic."animatic-v1"]\nper_second = "0.05"\n')
    studio = studio_server(tmp_path)
    api = studio.client
    # a render created from a YAML body: the text is checked, then saved at the film's path
    text = film.read_text().replace("Meet Pip", "Meet Pip Again")
    refused = api.post("/api/renders", json={"film": "paid/film.yaml", "yaml": text})
    assert refused.status_code == 428, refused.text
    body = refused.json()
    assert Decimal(body["estimated_cost"]) == Decimal("0.44") and body["currency"] == "USD"
    assert "confirm" in body["error"]
    assert api.get("/api/renders").json()["renders"] == []  # nothing started, nothing spent
    bad = api.post("/api/renders", json={"film": "paid/film.yaml", "yaml": "title: [x\n"})
    assert bad.status_code == 422 and bad.json()["problems"][0]["line"] in (1, 2)
    assert "Meet Pip Again" in film.read_text()

    started = api.post("/api/renders", json={"film": "paid/film.yaml", "confirm": True})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    list(studio.events(run_id, until=lambda e: e.get("event") == "speech.phase"))
    api.post(f"/api/renders/{run_id}/cancel")
    final = studio.wait(run_id)
    assert final["state"] == "cancelled"
    assert api.get("/api/renders?active=1").json()["renders"] == []
    # the project is free again at once
    assert api.post("/api/renders", json={"film": "paid/film.yaml"}).status_code == 428


def test_pick_another_take_then_render_uses_it(tmp_path: Path, studio_server, init_film) -> None:
    init_film(tmp_path / "a")
    studio = studio_server(tmp_path)
    api = studio.client
    assert studio.wait(api.post("/api/renders", json={"film": "a/film.yaml"}).json()["id"]
                       )["state"] == "done"
    forced = api.post("/api/renders", json={"film": "a/film.yaml", "force": ["hello.wave"]})
    assert studio.wait(forced.json()["id"])["state"] == "done"
    takes = api.get("/api/takes/a/film.yaml", params={"shot": "hello.wave"}).json()["takes"]
    assert len(takes) == 2 and [t["kept"] for t in takes] == [True, False]
    assert not any(t["picked"] for t in takes) and all(t["current"] for t in takes)
    old = takes[1]["attempt"]

    # refusals: JSON errors, nothing recorded
    for body, status in (({"shot": "hello.wave", "attempt": "x"}, 400),
                         ({"shot": "hello.wave"}, 400),
                         ({"shot": "hello.chart", "attempt": old}, 400),  # another shot's
                         ({"shot": "no.such", "attempt": old}, 400)):
        res = api.post("/api/pick/a/film.yaml", json=body)
        assert res.status_code == status and res.json()["error"], (body, res.text)
    assert api.post("/api/pick/a/film.yaml", json={"shot": "hello.wave", "attempt": old},
                    headers={"Origin": "http://evil.example"}).status_code == 403
    assert not any(t["picked"] for t in api.get(
        "/api/takes/a/film.yaml", params={"shot": "hello.wave"}).json()["takes"])

    picked = api.post("/api/pick/a/film.yaml", json={"shot": "hello.wave", "attempt": old})
    assert picked.status_code == 200, picked.text
    body = picked.json()
    assert body["picked"] == {"attempt": old} and body["current"] and body["render_needed"]
    assert body["regenerates"] == ["hello.chart"] and Decimal(body["estimated_cost"]) == 0
    done = studio.wait(api.post("/api/renders", json={"film": "a/film.yaml"}).json()["id"])
    assert done["state"] == "done", done["error"]
    manifest = json.loads((tmp_path / "a" / "out" / "film" / "manifest.json").read_text())
    wave = manifest["shots"][0]
    assert wave["take"] == {"attempt": old, "picked": True} and wave["cached"] is True
    assert wave["attempts"] == []  # no provider call for the picked shot
    assert done["shots"][0]["picked"] is True and done["shots"][0]["take"] == old
    takes = api.get("/api/takes/a/film.yaml", params={"shot": "hello.wave"}).json()["takes"]
    assert [(t["attempt"], t["kept"], t["picked"]) for t in takes] == [
        (takes[0]["attempt"], False, False), (old, True, True)]
    # forget it: the next render keeps the identity gate's take again
    gone = api.post("/api/pick/a/film.yaml", json={"shot": "hello.wave", "attempt": None})
    assert gone.status_code == 200 and gone.json()["picked"] is None
    assert studio.wait(api.post("/api/renders", json={"film": "a/film.yaml"}).json()["id"]
                       )["state"] == "done"
    manifest = json.loads((tmp_path / "a" / "out" / "film" / "manifest.json").read_text())
    assert manifest["shots"][0]["take"] == {"attempt": takes[0]["attempt"], "picked": False}
