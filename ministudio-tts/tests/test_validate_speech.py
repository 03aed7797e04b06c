"""`validate` and `plan` check every speech line against the declared speech model, located,
with the real plugins installed (piper shifts no pitch, espeak and google do within a range)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ministudio.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


@pytest.fixture
def film(tmp_path: Path, capsys) -> Path:
    code, _, err = _run(capsys, "init", str(tmp_path / "f"))
    assert code == 0, err
    return tmp_path / "f" / "film.yaml"


def _with_voice(film: Path, voice: str, speech_provider: str | None = None) -> Path:
    text = film.read_text().replace(
        "    references: [refs/pip.png]\n",
        f"    references: [refs/pip.png]\n    voice: {voice}\n", 1)
    if speech_provider:
        text = text.replace("style:\n", f"defaults: {{speech_provider: {speech_provider}}}\nstyle:\n", 1)
    film.write_text(text)
    return film


def _line_of(film: Path, needle: str) -> int:
    return next(i for i, line in enumerate(film.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_pitch_on_the_default_piper_voice_is_a_located_problem(film, capsys, command):
    _with_voice(film, "{pitch: 3}")
    code, out, err = _run(capsys, command, str(film))
    assert code == 2, out + err
    line = _line_of(film, "voice: {pitch: 3}")
    assert f"film.yaml:{line}: characters.pip.voice.pitch: speech (piper/piper): " \
           "piper cannot shift pitch (asked +3 semitones)" in err
    assert err.count("cannot shift pitch") == 1  # one voice, one problem, however many lines


def test_a_rate_beyond_the_engine_is_located_at_the_voice(film, capsys):
    _with_voice(film, "{id: en-us+f3, rate: 3.0}", speech_provider="espeak")
    code, _, err = _run(capsys, "validate", str(film))
    assert code == 2
    assert "characters.pip.voice.rate: speech (espeak/espeak-ng): rate 3 outside " \
           "espeak-ng's range 0.46–2.57" in err


def test_pitch_within_a_shifting_engine_passes_and_beyond_it_does_not(film, capsys):
    _with_voice(film, "{id: en-us+f3, pitch: 4}", speech_provider="espeak")
    code, out, err = _run(capsys, "validate", str(film))
    assert code == 0, err
    assert "ok (1 scene, 2 shots)" in out
    film.write_text(film.read_text().replace("pitch: 4}", "pitch: 22}"))
    code, _, err = _run(capsys, "validate", str(film))
    assert code == 2 and "pitch +22 semitones outside espeak-ng's range -20–+20" in err


def test_speak_refuses_a_settings_typo_before_synthesising(tmp_path, capsys, monkeypatch):
    (tmp_path / "ministudio.toml").write_text("[providers.espeak]\ntimeout = 3\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "speak", "Hi", "--provider", "espeak", "-o", "x.wav")
    assert code == 2
    assert "[providers.espeak] timeout: not a setting of espeak; did you mean 'timeout_s'?" in err
    assert not (tmp_path / "x.wav").exists()
