"""Cross-package checks with every first-party plugin installed: discovery, the example films,
and a real render on the offline default (animatic + piper) through the `ministudio` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

REPO = Path(__file__).resolve().parents[1]
FILMS = sorted((REPO / "examples" / "films").glob("*/film.yaml"))
FIRST_PARTY = {"animatic", "face", "piper", "espeak", "google", "openai", "vertex", "hf", "wan",
               "ltx-video", "cogvideox", "last-frame", "look"}


def ministudio(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml"), **env}
    return subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                          text=True, cwd=cwd, env=full_env, timeout=600)


def test_every_first_party_provider_is_active_in_strict_mode() -> None:
    proc = ministudio("providers", "list", "--json", MINISTUDIO_STRICT_PLUGINS="1")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert FIRST_PARTY <= set(rows), FIRST_PARTY - set(rows)
    assert all(rows[name]["status"] == "active" for name in FIRST_PARTY)


@pytest.mark.parametrize("film", FILMS, ids=[f.parent.name for f in FILMS])
def test_example_films_validate_and_plan(film: Path) -> None:
    assert len(FILMS) >= 2
    checked = ministudio("validate", str(film))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    planned = ministudio("plan", str(film), "--json")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["clips"] and plan["duration_s"] > 0
    assert all(c["provider"] == "animatic" for c in plan["clips"])


def test_init_then_render_offline_then_rerun_makes_no_calls(tmp_path: Path) -> None:
    assert ministudio("init", str(tmp_path / "film")).returncode == 0
    film = tmp_path / "film" / "film.yaml"
    out = tmp_path / "out"
    first = ministudio("render", str(film), "--out", str(out), "--json")
    assert first.returncode == 0, first.stderr[-3000:]
    done = json.loads(first.stdout.strip().splitlines()[-1])
    assert done["event"] == "render.done" and done["status"] == "done"
    assert done["provider_calls"] >= 4  # two speech lines and two clips at least

    manifest = json.loads((out / "manifest.json").read_text())
    clips = sum(shot["duration_s"] for shot in manifest["shots"])
    with av.open(str(out / manifest["files"]["film"])) as container:
        duration = float(container.duration) / av.time_base
        kinds = sorted(s.type for s in container.streams)
    assert abs(duration - clips) < 0.1
    assert kinds == ["audio", "subtitle", "video"]
    assert (out / manifest["files"]["srt"]).read_text().strip()
    assert "<html" in (out / "report.html").read_text()[:500].lower()

    film_file = out / manifest["files"]["film"]
    written = film_file.stat().st_mtime_ns
    again = ministudio("render", str(film), "--out", str(out), "--json")
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout.strip().splitlines()[-1])["provider_calls"] == 0
    assert film_file.stat().st_mtime_ns == written  # same inputs: not assembled again

    # an assembly setting changed: assembled again, still without provider calls
    changed = ministudio("--set", "media.crf=30", "render", str(film), "--out", str(out), "--json")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert json.loads(changed.stdout.strip().splitlines()[-1])["provider_calls"] == 0
    assert film_file.stat().st_mtime_ns != written


def test_a_broken_film_fails_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "film.yaml"
    bad.write_text("title: x\nformat: {aspect_ratio: '16:9', resolution: 720p, fps: 24}\n"
                   "scenes:\n  - id: a\n    environment: nowhere\n    shots:\n"
                   "      - {id: s, action: x, duraton: 4}\n")
    proc = ministudio("render", str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "duraton" in proc.stderr and "nowhere" in proc.stderr


def test_plan_names_veo_rules_before_anything_is_spent(tmp_path: Path) -> None:
    """Veo through `plan`: a 5 s shot, and a shot demanding references plus a start frame."""
    import shutil

    film_dir = tmp_path / "film"
    shutil.copytree(REPO / "examples" / "films" / "umbrella-dialogue", film_dir)
    film = film_dir / "film.yaml"
    text = film.read_text()
    text = text.replace("raincoat.\n        duration: 4", "raincoat.\n        duration: 5", 1)
    text = text.replace("towards Mira.\n", "towards Mira.\n        conditioning: both\n", 1)
    film.write_text(text)
    proc = ministudio("--set", "defaults.provider=vertex", "plan", str(film))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip().startswith("film.yaml:")]
    assert any("scenes[0].shots[0].duration" in ln and "allowed: 8 s) for reference images" in ln
               for ln in lines), proc.stderr
    assert any("scenes[0].shots[1]" in ln and "cannot combine reference images" in ln
               for ln in lines), proc.stderr
