"""Voice casting: every speaker gets a voice of their own by default, by gender where the
film says it; `plan` says who speaks with which voice and warns when two share one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ministudio import hookimpl
from ministudio.capabilities import Operation, ProviderSpec, SpeechModel, Voice
from ministudio.compile import plan_film
from ministudio.compile.casting import gender_of
from ministudio.film import load_film
from ministudio.hookspecs import PLUGIN_API
from ministudio.plugins import PluginManager

from .conftest import EXAMPLES, FakeClipPlugin

VOICES = (Voice(id="joe", gender="male"), Voice(id="joe+f1", gender="female"),
          Voice(id="joe+m2", gender="male"), Voice(id="joe+f2", gender="female"))


class CastSpeech:
    MINISTUDIO_PLUGIN_API = PLUGIN_API

    def __init__(self, voices: tuple[Voice, ...]) -> None:
        self.voices = voices

    @hookimpl
    def register_providers(self) -> list[ProviderSpec]:
        return [ProviderSpec(name="piper", operations={Operation.SPEECH}, speech_models=(
            SpeechModel(id="piper", languages=("en-US",), voices=self.voices),))]


def _manager(voices: tuple[Voice, ...] = VOICES) -> PluginManager:
    pm = PluginManager(load_entrypoints=False, env={})
    pm.register(FakeClipPlugin(name="animatic"), "animatic")
    pm.register(CastSpeech(voices), "piper")
    return pm


def _voices(plan) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {sp: v for sp, _, v in plan.voices}


def _line_voices(plan) -> dict[str, set[str | None]]:  # type: ignore[no-untyped-def]
    out: dict[str, set[str | None]] = {}
    for s in plan.shots:
        for ln in s.speech:
            out.setdefault(ln.speaker or "narrator", set()).add(ln.request.voice)
    return out


def test_each_speaker_gets_a_voice_of_their_own_by_gender(settings, tmp_path: Path) -> None:
    text = (EXAMPLES / "umbrella-dialogue" / "film.yaml").read_text()
    text = text.replace("a young illustrator, quick and funny",
                        "a young illustrator, quick and funny; she draws on the bus")
    (tmp_path / "film.yaml").write_text(text)
    for ref in (EXAMPLES / "umbrella-dialogue" / "refs").iterdir():
        (tmp_path / "refs").mkdir(exist_ok=True)
        (tmp_path / "refs" / ref.name).write_bytes(ref.read_bytes())
    plan = plan_film(load_film(tmp_path / "film.yaml"), _manager(), settings)
    # Theo ("on his break") a man's voice, Mira ("she") a woman's, and not the same one
    assert _voices(plan) == {"theo": "joe", "mira": "joe+f1"}
    assert _line_voices(plan) == {"theo": {"joe"}, "mira": {"joe+f1"}}
    assert not [w for w in plan.warnings if w.startswith("voices:")]


def test_narrator_keeps_the_default_and_characters_get_others(settings) -> None:
    film = load_film(EXAMPLES.parent.parent / "ministudio-core" / "src" / "ministudio" / "film"
                     / "templates" / "film.yaml")
    plan = plan_film(film, _manager(), settings)
    assert _voices(plan) == {"narrator": "joe", "pip": "joe+f1"}


def test_a_named_voice_is_kept_and_sharing_is_warned(settings, tmp_path: Path) -> None:
    film_dir = tmp_path / "f"
    film_dir.mkdir()
    (film_dir / "film.yaml").write_text("""
title: Two
characters:
  a: {name: Ann, description: she sings, voice: {id: joe+m2}}
  b: {name: Bob, description: he hums, voice: {id: joe+m2}}
  c: {name: Cy, description: a robot}
environments:
  room: {description: a room}
scenes:
  - id: s
    environment: room
    characters: [a, b, c]
    shots:
      - id: one
        action: talk
        narration: Once upon a time.
        dialogue:
          - {speaker: a, line: "Hello."}
          - {speaker: b, line: "Hi."}
          - {speaker: c, line: "Beep."}
""")
    plan = plan_film(load_film(film_dir / "film.yaml"), _manager(), settings)
    v = _voices(plan)
    assert v["a"] == v["b"] == "joe+m2"  # what the film names is kept ...
    assert v["narrator"] == "joe" and v["c"] == "joe+f1"  # ... the rest get free voices
    shared = [w for w in plan.warnings if w.startswith("voices:")]
    assert len(shared) == 1 and "Ann and Bob share one voice (joe+m2)" in shared[0]
    # a model with one voice: everybody shares it, and the plan says so
    plan = plan_film(load_film(film_dir / "film.yaml"), _manager(VOICES[:1]), settings)
    assert any("narrator and Cy share one voice (joe)" in w for w in plan.warnings)


@pytest.mark.parametrize("text,gender", [
    ("an oceanographer in her forties", "female"), ("a calm bus driver on his break", "male"),
    ("a cheerful guide with curly orange hair", None), ("the hero", None),
])
def test_gender_where_the_film_says_it(text: str, gender: str | None) -> None:
    assert gender_of(text) == gender


def test_plan_shows_each_speakers_voice(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from ministudio.cli import AppState, cli

    pm = _manager()
    monkeypatch.setattr(AppState, "manager", lambda self, project_dir=None: pm)
    film = str(EXAMPLES / "umbrella-dialogue" / "film.yaml")
    res = CliRunner().invoke(cli, ["plan", film, "--no-prompts"])
    assert res.exit_code == 0, res.output
    assert "voices: Theo → joe, Mira → joe+f1" in res.output
    assert "dialogue (mira, voice joe+f1): Then I'm going to need that umbrella." in res.output
    res = CliRunner().invoke(cli, ["plan", film, "--json"])
    doc = json.loads(res.output)
    assert {"speaker": "mira", "name": "Mira", "voice": "joe+f1"} in doc["voices"]
