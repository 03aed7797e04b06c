"""``run_batch`` on the local executor: overrides, failures alone, reruns, the batch budget."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from batch_helpers import broken_plugin, paid_plugin, tiny_film, tiny_films
from ministudio.batch import collect_jobs, load_manifest, run_batch
from ministudio.engine.ledger import Ledger
from ministudio.errors import ConfigError
from ministudio.film import load_film
from ministudio.film.overrides import SpeechOverrides, apply_speech_overrides
from ministudio.testing.fakes import FakeClipPlugin


def clip_attempts(film: Path) -> list[dict]:
    ledger = Ledger(film.parent / ".ministudio" / "ledger.sqlite")
    try:
        return [a for a in ledger.attempts() if a["stage"] == "generate"]
    finally:
        ledger.close()


def test_a_broken_film_fails_alone_and_a_rerun_renders_only_what_is_missing(tmp_path):
    films = tiny_films(tmp_path, 4, broken=3)
    events: list[dict] = []
    fake = FakeClipPlugin(name="fake")
    summary = run_batch([tmp_path], plugins=[fake, broken_plugin()], jobs=2,
                        emit=events.append)
    status = {f.name: f.status for f in summary.films}
    assert status == {"film1": "done", "film2": "done", "film3": "failed", "film4": "done"}
    failed = summary.film("film3")
    assert "broken provider refuses" in failed.reason and failed.error_type == "RenderFailedError"
    assert [f.name for f in summary.failed] == ["film3"]
    assert all(Path(summary.film(n).file).is_file() for n in ("film1", "film2", "film4"))
    assert fake.calls == 6  # 3 films x 2 shots
    kinds = [e["event"] for e in events]
    assert kinds[0] == "batch.start" and kinds[-1] == "batch.done"
    assert {e["film"] for e in events if e["event"] == "film.done"} == {"film1", "film2", "film4"}
    assert any(e["event"] == "film.progress" and e["film"] == "film2" for e in events)

    again = run_batch([tmp_path], plugins=[fake, broken_plugin()])
    assert fake.calls == 6  # nothing rendered again
    assert [again.film(n).provider_calls for n in ("film1", "film2", "film4")] == [0, 0, 0]
    assert again.film("film1").cached_shots == 2
    assert again.film("film3").status == "failed"
    assert len(clip_attempts(films[0])) == 2


def test_films_of_one_project_run_in_turn_with_their_overrides(tmp_path):
    film = tiny_film(tmp_path / "ad", 1)
    manifest = tmp_path / "batch.yaml"
    manifest.write_text(
        "films:\n"
        "  - film: ad/film.yaml\n"
        "  - {film: ad/film.yaml, name: ad-other, provider: other}\n"
        "  - {film: ad/film.yaml, language: de-DE}\n")
    loaded = load_manifest(manifest)
    assert [j.name for j in loaded.jobs] == ["ad", "ad-other", "ad-de-DE"]
    assert loaded.jobs[1].provider == "other" and loaded.jobs[0].film == film.resolve()
    fake, other = FakeClipPlugin(name="fake"), FakeClipPlugin(name="other")
    summary = run_batch([manifest], plugins=[fake, other], out=tmp_path / "renders")
    assert [f.status for f in summary.films] == ["done", "done", "done"]
    assert (fake.calls, other.calls) == (2, 2)  # the de-DE film has no speech: cached clips
    assert summary.film("ad-de-DE").cached_shots == 2
    assert len({f.worker for f in summary.films}) == 1
    for name in ("ad", "ad-other", "ad-de-DE"):
        assert (tmp_path / "renders" / name / "manifest.json").is_file()


def test_two_films_with_one_name_are_refused(tmp_path):
    tiny_film(tmp_path / "a" / "x", 1)
    tiny_film(tmp_path / "b" / "x", 2)
    with pytest.raises(ConfigError) as err:
        collect_jobs([tmp_path / "a" / "x" / "film.yaml", tmp_path / "b" / "x" / "film.yaml"])
    assert "name 'x' is also used by" in "\n".join(err.value.problems)


def test_sources_folders_globs_and_missing(tmp_path):
    tiny_films(tmp_path, 3)
    assert [j.name for j in collect_jobs([tmp_path]).jobs] == ["film1", "film2", "film3"]
    assert [j.name for j in collect_jobs([str(tmp_path / "film[12]" / "film.yaml")]).jobs] \
        == ["film1", "film2"]
    with pytest.raises(ConfigError, match="no such file"):
        collect_jobs([tmp_path / "nope*.yaml"])


def test_the_batch_budget_starts_films_only_while_their_estimate_fits(tmp_path):
    tiny_films(tmp_path, 3)  # each estimated 2 s x 0.50 = 1.00
    paid = paid_plugin("0.50")
    events: list[dict] = []
    summary = run_batch([tmp_path], plugins=[paid], max_cost="2.50", jobs=3,
                        emit=events.append)
    status = [f.status for f in summary.films]
    assert sorted(status) == ["done", "done", "skipped"]
    skipped = next(f for f in summary.films if f.status == "skipped")
    assert "over the batch budget" in skipped.reason
    assert summary.cost == Decimal("2.00") and summary.cost <= Decimal("2.50")
    assert paid.calls == 4
    starts = [e for e in events if e["event"] == "film.start"]
    assert all(Decimal(e["max_cost"]) == Decimal("1.00") for e in starts)


def test_speech_overrides_transform_the_film(tmp_path):
    film = load_film(Path(__file__).resolve().parents[3] / "examples" / "films"
                     / "umbrella-dialogue" / "film.yaml")
    speakers = [c for c, ch in film.characters.items() if ch.voice is not None]
    out = apply_speech_overrides(film, SpeechOverrides(language="fr-FR", voice="narr-fr",
                                                       voices={speakers[0]: "v-fr"}))
    assert out.defaults.language == "fr-FR"
    assert out.defaults.narrator.id == "narr-fr" and out.defaults.narrator.language == "fr-FR"
    assert out.characters[speakers[0]].voice.id == "v-fr"
    for cid in speakers[1:]:  # ids chosen for the old language are cast again
        assert out.characters[cid].voice.id is None
        assert out.characters[cid].voice.language == "fr-FR"
    assert film.defaults.language != "fr-FR"  # the loaded film is unchanged
    with pytest.raises(ConfigError, match="nobody"):
        apply_speech_overrides(film, SpeechOverrides(voices={"nobody": "x"}))


NARRATED = """\
title: Ad
format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
defaults: {provider: fake, language: en-US}
environments:
  room: {description: a plain room}
scenes:
  - id: s
    environment: room
    shots:
      - {id: a, action: a red ball rolls, narration: "Hello there.", duration: 2}
"""


def test_one_film_in_another_language_casts_a_voice_of_that_language(tmp_path):
    pytest.importorskip("ministudio_tts")
    import json

    (tmp_path / "ad").mkdir()
    (tmp_path / "ad" / "film.yaml").write_text(NARRATED)
    manifest = tmp_path / "batch.yaml"
    manifest.write_text("films:\n  - film: ad/film.yaml\n"
                        "  - {film: ad/film.yaml, language: de, speech_provider: espeak}\n")
    fake = FakeClipPlugin(name="fake")
    summary = run_batch([manifest], plugins=[fake])
    assert [(f.name, f.status) for f in summary.films] == [("ad", "done"), ("ad-de", "done")]
    assert fake.calls == 1  # the German version reuses the clip: only its speech is new
    assert summary.film("ad-de").provider_calls == 1
    speech = {name: json.loads((tmp_path / "ad" / "out" / name / "manifest.json").read_text())
              ["shots"][0]["speech"][0] for name in ("ad", "ad-de")}
    assert speech["ad-de"]["provider"] == "espeak" and speech["ad-de"]["voice"] == "de"
    assert speech["ad"]["provider"] == "piper"
