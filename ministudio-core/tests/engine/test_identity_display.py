"""What a user sees of identity scores and the film in the report, the live table and
``score-identity``: a look score (no face scorer applied) reads "n/a", never a red "below";
the report plays the film with its subtitle track."""

from __future__ import annotations

import re
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from ministudio.engine.progress import LiveDisplay
from ministudio.engine.report import render_html
from ministudio.plugins import PluginManager
from PIL import Image


def _manifest(identity: dict) -> dict:
    shot = {"id": "rain.offer", "status": "done", "cached": False, "provider": "animatic",
            "model": "animatic-v1", "seed": 1, "duration_s": 2.0, "start_s": 0.0, "cost": "0",
            "estimated_cost": "0", "continues_from": None, "prompt": "p", "note": "",
            "speech": [], "attempts": [], "identity": identity}
    return {"title": "The Umbrella", "status": "done", "shots": [shot], "failures": [],
            "cost": {"actual": "0", "estimated": "0", "currency": "USD"}, "wall_s": 1.0,
            "provider_calls": 1, "format": {"aspect_ratio": "9:16", "resolution": "720p", "fps": 24},
            "files": {"film": "the-umbrella.mp4", "vtt": "the-umbrella.vtt",
                      "report": "report.html"}}


def _result() -> types.SimpleNamespace:
    return types.SimpleNamespace(files={}, shots=[])


def _cells(page: str) -> list[str]:
    return re.findall(r"<td class=\"?score[^>]*>[^<]*</td>", page)


def test_report_says_na_for_a_look_score_and_colours_only_face_scores() -> None:
    look = {"score": 0.14, "threshold": 0.35, "passed": False, "kind": "look", "scorer": "look",
            "name": "Mira", "note": "no face found in 8 sampled frames"}
    face = {"score": 0.31, "threshold": 0.47, "passed": False, "kind": "face", "scorer": "face",
            "name": "Theo"}
    page = render_html(_manifest({"mira": look, "theo": face}), _result())
    mira, theo = _cells(page)
    assert ">n/a<" in mira and "hsl(" not in mira and "look score 0.14" in mira
    assert "no face found" in mira  # the tooltip says why
    assert ">0.31<" in theo and "hsl(5," in theo  # a face score below threshold stays red
    assert "no face scorer applied" in page


def test_report_plays_the_film_with_its_subtitles() -> None:
    page = render_html(_manifest({}), _result())
    video = re.search(r"<video[^>]*src=\"the-umbrella.mp4\"[^>]*>(.*?)</video>", page, re.S)
    assert video is not None and "controls" in video.group(0)
    assert re.search(r"<track kind=\"subtitles\" src=\"the-umbrella.vtt\"[^>]*default>",
                     video.group(1))
    # no film (a failed render): no player
    m = _manifest({})
    m["files"] = {"report": "report.html"}
    assert "<video" not in render_html(m, _result())


def test_live_table_shows_na_for_a_look_score() -> None:
    from rich.console import Console

    console = Console(record=True, width=100, force_terminal=False)
    with LiveDisplay(console=console) as live:
        live({"event": "render.start", "shot_ids": ["a", "b"]})
        live({"event": "shot", "shot": "a", "state": "done",
              "scores": {"mira": {"score": 0.14, "kind": "look"}}})
        live({"event": "shot", "shot": "b", "state": "done",
              "scores": {"mira": {"score": 0.81, "kind": "face"}, "theo": 0.77}})
    text = console.export_text()
    assert "mira n/a" in text and "0.14" not in text
    assert "mira=0.81" in text and "theo=0.77" in text


def test_score_identity_says_na_when_no_face_scorer_applies(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from ministudio.cli import AppState, cli

    ref, shot = tmp_path / "ref.png", tmp_path / "shot.png"
    Image.new("RGB", (96, 96), (200, 40, 40)).save(ref)
    Image.new("RGB", (96, 96), (20, 40, 200)).save(shot)
    pm = PluginManager(load_entrypoints=False, env={})  # core only: the look score answers
    monkeypatch.setattr(AppState, "manager", lambda self, project_dir=None: pm)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["score-identity", "-r", str(ref), str(shot)])
    assert res.exit_code == 0, res.output
    assert "n/a" in res.output and "below" not in res.output and "look" in res.output
