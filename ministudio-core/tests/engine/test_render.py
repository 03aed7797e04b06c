"""End to end: ``render`` on a small film file with fake clip and speech providers."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from chaos import ChaosClipPlugin, FakeSpeechPlugin

from ministudio.config import load_settings
from ministudio.engine import RenderFailedError, RenderLockedError, render
from ministudio.engine.lock import ProjectLock
from ministudio.media import probe, validate_clip
from ministudio.plugins import PluginManager

FILM = """
title: Tiny Test
format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
defaults: {provider: chaos, speech_provider: fakevoice, narrator: {id: a}, seed: 5}
characters:
  ada: {name: Ada, description: a scientist, references: [ada.png], voice: {id: b}}
environments:
  lab: {description: a small lab}
scenes:
  - id: one
    environment: lab
    characters: [ada]
    shots:
      - {id: a, action: Ada looks up., narration: The tide comes in., duration: auto}
      - {id: b, action: Ada writes., continuity: continue, duration: 1,
         dialogue: [{speaker: ada, line: Look at this.}]}
  - id: two
    environment: lab
    characters: []
    shots:
      - {id: c, action: Waves., duration: 1, narration: And out again.}
"""


def _project(tmp_path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (64, 64), (180, 120, 90)).save(tmp_path / "ada.png")
    (tmp_path / "film.yaml").write_text(FILM)
    return tmp_path / "film.yaml"


def _env(tmp_path, **chaos):
    manager = PluginManager(load_entrypoints=False, env={})
    clip = ChaosClipPlugin(**chaos)
    voice = FakeSpeechPlugin()
    manager.register(clip, "chaos")
    manager.register(voice, "fakevoice")
    settings = load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none.toml",
                             overrides=("render.attempts=3", "identity.threshold=0.0"))
    return manager, settings, clip, voice


def test_render_end_to_end_then_rerun_is_free(tmp_path):
    film = _project(tmp_path)
    manager, settings, clip, voice = _env(tmp_path)
    events: list[dict] = []
    res = render(film, out=tmp_path / "out", manager=manager, settings=settings,
                 emit=events.append)
    assert res.status == "done"
    info = validate_clip(res.film)
    assert info.has_audio and info.width == 640 and info.height == 360
    total = sum(s.duration_s for s in res.shots)
    assert abs(info.duration_s - total) < 0.2
    assert clip.calls == 3 and voice.calls == 3
    # auto duration fitted to the narration (4 words x 0.3 s + lead + tail)
    a = next(s for s in res.shots if s.id == "one.a")
    assert a.plan.duration_source == "speech" and a.duration_s >= 1.2
    # continued shot started from shot a's anchor frame
    b_req = next(r for r in clip.requests if r.shot_id == "one.b")
    assert b_req.first_frame is not None
    out = tmp_path / "out"
    for name in ("manifest.json", "report.html", "tiny-test.srt", "tiny-test.vtt",
                 "tiny-test.otio", "contact-sheet.png"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["id"] for s in manifest["shots"]] == ["one.a", "one.b", "two.c"]
    assert manifest["provider_calls"] == 6 and manifest["status"] == "done"
    assert all(s["attempts"] for s in manifest["shots"]), [s["attempts"] for s in manifest["shots"]]
    assert "tide comes in" in (out / "tiny-test.srt").read_text().lower()
    html = (out / "report.html").read_text()
    assert "Identity (characters × shots)" in html and "data:image/png;base64" in html
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(out / "tiny-test.otio"))
    assert [c.name for c in tl.tracks[0]] == ["one.a", "one.b", "two.c"]
    assert (out / tl.tracks[0][0].media_reference.target_url).is_file()
    kinds = {e["event"] for e in events}
    assert {"render.start", "shot", "attempt", "render.done"} <= kinds

    # unchanged film: zero provider calls, same film
    res2 = render(film, out=tmp_path / "out2", manager=manager, settings=settings)
    assert res2.provider_calls == 0 and clip.calls == 3 and voice.calls == 3
    assert all(s.status == "cached" for s in res2.shots)
    assert probe(res2.film).duration_s == pytest.approx(info.duration_s, abs=0.05)


def test_failed_shot_fails_loudly_then_allow_gaps_assembles_a_slate(tmp_path):
    film = _project(tmp_path)
    manager, settings, clip, _ = _env(tmp_path, reject=["two.c"])
    with pytest.raises(RenderFailedError) as ei:
        render(film, out=tmp_path / "out", manager=manager, settings=settings)
    f = ei.value.failures[0]
    assert (f.shot, f.provider, f.stage) == ("two.c", "chaos", "generate")
    assert "safety" in str(ei.value)
    assert not (tmp_path / "out" / "tiny-test.mp4").exists()  # nothing assembled
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failures"][0]["shot"] == "two.c"
    calls = clip.calls
    res = render(film, out=tmp_path / "out", manager=manager, settings=settings,
                 allow_gaps=True)
    assert res.status == "done-with-gaps"
    assert clip.calls == calls + 1  # only the failed shot was tried again
    assert validate_clip(res.film).duration_s > 2.5


def test_dry_run_spends_nothing_and_budget_stops(tmp_path):
    film = _project(tmp_path)
    manager, settings, clip, voice = _env(tmp_path)
    res = render(film, manager=manager, settings=settings, dry_run=True)
    assert res.status == "planned" and res.estimated_cost > 0
    assert clip.calls == 0 and voice.calls == 0
    with pytest.raises(RenderFailedError) as ei:
        render(film, out=tmp_path / "o", manager=manager, settings=settings, max_cost="0.25",
               concurrency=1)
    assert any(f.error_type == "BudgetExceededError" for f in ei.value.failures)
    # 0.10 per second: shots of 2 s + 1 s + 1 s cost 0.40; the render stopped before 0.25
    spent = sum(r.duration_s for r in clip.requests) * 0.10
    assert 1 <= clip.calls < 3 and spent <= 0.25


def test_second_render_of_same_project_gets_clear_message(tmp_path):
    film = _project(tmp_path)
    manager, settings, _, _ = _env(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from ministudio.engine.lock import ProjectLock
            with ProjectLock({str(tmp_path / '.ministudio')!r}):
                print('locked', flush=True); time.sleep(30)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RenderLockedError, match="another render of this project is running"):
            render(film, out=tmp_path / "out", manager=manager, settings=settings)
    finally:
        holder.kill()
        holder.wait()
    with ProjectLock(tmp_path / ".ministudio"):  # released when the holder died
        pass
