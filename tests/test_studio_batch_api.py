"""The studio's batch API against a real ``ministudio studio`` server: POST /api/batches runs
``ministudio batch --json --yes`` with the same events as the command, per-film status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def _per_film(events: list[dict]) -> dict[str, list[tuple[str, str | None]]]:
    out: dict[str, list[tuple[str, str | None]]] = {}
    for e in events:
        if e.get("film") and e["event"].startswith("film."):
            out.setdefault(e["film"], []).append((e["event"], e.get("kind")))
    return out


def test_a_batch_of_two_films_through_the_api(tmp_path: Path, studio_server, init_film) -> None:
    root = tmp_path / "studio"
    init_film(root / "a")
    init_film(root / "b")
    (tmp_path / "outside").mkdir()
    init_film(tmp_path / "outside" / "c")
    studio = studio_server(root, "--max-renders", "2")
    api = studio.client

    assert httpx.post(studio.url + "/api/batches",
                      json={"films": ["a/film.yaml"]}).status_code == 401
    for body, status in (({"films": ["../outside/c/film.yaml"]}, 403),
                         ({"films": ["nope/film.yaml"]}, 404),
                         ({"manifest": "/etc/passwd"}, 403),
                         ({"films": ["a/film.yaml"], "out": "../elsewhere"}, 403),
                         ({"films": ["a/film.yaml"], "out": "s3://bucket/x/"}, 400),
                         ({"films": ["a/film.yaml"], "executor": "nope"}, 400),
                         ({"films": ["a/film.yaml"], "executor": "dask://10.0.0.1:8786"}, 400),
                         ({"films": ["a/film.yaml"], "jobs": 3}, 400),
                         ({}, 400)):
        res = api.post("/api/batches", json=body)
        assert res.status_code == status, (body, res.text)
        assert res.json()["error"], body
    # a manifest in the folder that lists a film outside it is refused as a whole
    (root / "bad.yaml").write_text("films:\n  - film: ../outside/c/film.yaml\n")
    res = api.post("/api/batches", json={"manifest": "bad.yaml"})
    assert res.status_code == 403 and "outside" in res.json()["error"]
    assert api.get("/api/batches").json()["batches"] == []  # nothing was started

    started = api.post("/api/batches", json={"films": ["a/film.yaml", "b/film.yaml"]})
    assert started.status_code == 202, started.text
    batch = started.json()
    assert [f["film"] for f in batch["films"]] == ["a", "b"]
    assert batch["state"] in ("queued", "running")
    # its projects are held: a render of one is refused while the batch runs
    busy = api.post("/api/renders", json={"film": "a/film.yaml"})
    assert busy.status_code == 409 and f"(batch {batch['id']})" in busy.json()["error"]

    events = []
    with api.stream("GET", batch["links"]["events"]) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        kind = "message"
        for line in res.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append({**json.loads(line[6:]), **({"event": "end"} if kind == "end"
                                                          else {})})
                kind = "message"
    assert events[-1]["event"] == "end" and events[-1]["state"] == "done", events[-1]
    assert events[0]["event"] == "batch.start" and events[0]["films"] == ["a", "b"]
    assert events[-2]["event"] == "batch.done" and events[-2]["done"] == 2

    status = api.get(f"/api/batches/{batch['id']}").json()
    assert status["state"] == "done" and status["error"] is None
    assert status["done"] == 2 and status["failed"] == 0
    assert {f["film"]: f["status"] for f in status["films"]} == {"a": "done", "b": "done"}
    assert all(Decimal(f["cost"]) == 0 for f in status["films"])
    for name in ("a", "b"):
        assert (root / name / "out" / name / "manifest.json").is_file()
    # the JSON-lines form replays the same events
    lines = api.get(batch["links"]["events"], params={"format": "jsonl"}).text.splitlines()
    assert [json.loads(x) for x in lines][:-1] == events[:-1]
    # the same events, film by film, as `ministudio batch --json` prints for the same films
    cli_root = tmp_path / "cli"
    init_film(cli_root / "a")
    init_film(cli_root / "b")
    env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml")}
    cli = subprocess.run([sys.executable, "-m", "ministudio", "batch", "a/film.yaml",
                          "b/film.yaml", "--json", "--yes", "--executor", "local", "--jobs", "2"],
                         cwd=cli_root, env=env, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    cli_events = [json.loads(x) for x in cli.stdout.splitlines() if x.startswith("{")]
    assert _per_film(cli_events) == _per_film(events[:-1])
    assert [e["event"] for e in cli_events if not e["event"].startswith("film.")] == \
        [e["event"] for e in events[:-1] if not e["event"].startswith("film.")]

    # the render bound is free again, and the projects too
    assert api.get("/api/renders?active=1").json()["renders"] == []
    assert api.get("/api/batches/nope").status_code == 404
    # a rerun into a folder of the studio renders nothing new (both films come from their
    # caches), and a broken film fails alone, named
    (root / "broken").mkdir()
    (root / "broken" / "film.yaml").write_text("title: Broken\nscenes: 3\n")
    again = api.post("/api/batches", json={"films": ["a/film.yaml", "broken/film.yaml",
                                                     "b/film.yaml"],
                                           "jobs": 1, "out": "delivered"})
    assert again.status_code == 202, again.text
    api.get(again.json()["links"]["events"], params={"format": "jsonl"})  # to its end
    rerun = api.get(f"/api/batches/{again.json()['id']}").json()
    assert rerun["state"] == "failed" and rerun["slots"] == 1
    assert rerun["error"].startswith("1 of 3 films did not render: broken (")
    rows = {f["film"]: f for f in rerun["films"]}
    assert [rows[n]["status"] for n in ("a", "broken", "b")] == ["done", "failed", "done"]
    assert rows["broken"]["reason"]
    assert rows["a"]["provider_calls"] == rows["b"]["provider_calls"] == 0, rows
    for name in ("a", "b"):
        assert (root / "delivered" / name / "manifest.json").is_file()


def test_a_paid_batch_needs_confirmation_and_can_be_cancelled(
        tmp_path: Path, studio_server, init_film) -> None:
    root = tmp_path / "studio"
    init_film(root / "paid")
    init_film(root / "free")
    (root / "paid" / "ministudio.toml").write_text(
        '[pricing.animatic."animatic-v1"]\nper_second = "0.05"\n')
    (root / "series.yaml").write_text("films:\n  - film: paid/film.yaml\n"
                                      "  - film: free/film.yaml\n    name: free-one\n")
    studio = studio_server(root, "--max-renders", "1")
    api = studio.client

    refused = api.post("/api/batches", json={"manifest": "series.yaml"})
    assert refused.status_code == 428, refused.text
    body = refused.json()
    assert Decimal(body["estimated_cost"]) == Decimal("0.44") and "confirm" in body["error"]
    assert {f["film"]: f["estimated_cost"] for f in body["films"]} == {"paid": "0.44",
                                                                      "free-one": "0.00"}
    assert api.get("/api/batches").json()["batches"] == []  # nothing started, nothing spent

    # a render holds the only slot: the confirmed batch waits as queued, then is cancelled
    render = api.post("/api/renders", json={"film": "free/film.yaml"})
    assert render.status_code == 202
    busy = api.post("/api/batches", json={"manifest": "series.yaml", "confirm": True})
    assert busy.status_code == 409  # its project "free" is rendering
    studio.wait(render.json()["id"])
    started = api.post("/api/batches", json={"manifest": "series.yaml", "confirm": True})
    assert started.status_code == 202, started.text
    batch_id = started.json()["id"]
    with api.stream("GET", f"/api/batches/{batch_id}/events") as res:
        for line in res.iter_lines():
            if line.startswith("data: ") and json.loads(line[6:]).get("event") == "film.start":
                break
    api.post(f"/api/batches/{batch_id}/cancel")
    end = api.get(f"/api/batches/{batch_id}/events", params={"format": "jsonl"})
    assert json.loads(end.text.splitlines()[-1]) == {"event": "end", "state": "cancelled",
                                                    "error": "cancelled", "id": batch_id}
    assert api.get("/api/batches").json()["batches"][0]["state"] == "cancelled"
    # the projects are free at once
    assert api.post("/api/renders", json={"film": "paid/film.yaml"}).status_code == 428
