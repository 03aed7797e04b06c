"""`ministudio speak` and `ministudio voices` through the real CLI and plugin discovery."""

from __future__ import annotations

import json
import wave

from click.testing import CliRunner

from ministudio.cli import cli


def test_speak_writes_wav_and_json(tmp_path):
    out = tmp_path / "line.wav"
    r = CliRunner().invoke(cli, ["speak", "The lamp went dark.", "--provider", "espeak",
                                 "--voice", "en-us+f3", "--rate", "1.2", "-o", str(out), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["path"] == str(out.resolve()) and data["voice"] == "en-us+f3"
    assert [w["word"] for w in data["words"]] == ["The", "lamp", "went", "dark."]
    with wave.open(str(out)) as w:
        assert abs(w.getnframes() / w.getframerate() - data["duration_s"]) < 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line.wav"]  # no work folder left


def test_speak_bad_input_is_one_line(tmp_path):
    r = CliRunner().invoke(cli, ["speak", "Hi", "--provider", "piper", "--pitch", "3",
                                 "-o", str(tmp_path / "x.wav")])
    assert r.exit_code != 0 and "cannot shift pitch" in str(r.exception)


def test_voices_json():
    r = CliRunner().invoke(cli, ["voices", "--provider", "espeak", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    ids = {row["voice"] for row in rows}
    assert {"en-us", "fr-fr", "en-gb+m3"} <= ids and all(row["provider"] == "espeak" for row in rows)
