"""`ministudio draft` through the real command: a sentence drafted offline and rendered end to
end on the offline default, and `--interactive` driven through its prompts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import yaml
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
ORB = ("A lone researcher discovers a glowing orb in the lab. She looks amazed and reaches "
       "towards it. Duration: 10 seconds. Style: cinematic")


def ministudio(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml")}
    return subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                          text=True, env=env, timeout=600, input=stdin)


def test_draft_then_render_offline(tmp_path: Path) -> None:
    film = tmp_path / "orb" / "film.yaml"
    drafted = ministudio("draft", ORB, "-o", str(film), "--json")
    assert drafted.returncode == 0, drafted.stderr
    info = json.loads(drafted.stdout)
    assert (info["title"], info["shots"], info["characters"], info["style"]) == (
        "The Glowing Orb", 2, ["Researcher"], "cinematic")
    assert (tmp_path / "orb" / "refs" / "researcher.png").is_file()  # placeholder portrait
    assert ministudio("validate", str(film)).returncode == 0
    out = tmp_path / "out"
    rendered = ministudio("render", str(film), "--out", str(out), "--json")
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["duration_s"] for s in manifest["shots"]] == [5.0, 5.0]
    with av.open(str(out / manifest["files"]["film"])) as container:
        assert abs(float(container.duration) / av.time_base - 10.0) < 0.1
    again = ministudio("draft", ORB, "-o", str(film))
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr


def test_interactive_asks_only_what_is_open_and_writes_the_answers(tmp_path: Path) -> None:
    from ministudio.cli import cli

    film = tmp_path / "film.yaml"
    text = 'A lone researcher finds a glowing orb in the lab. "What are you?" she asks.'
    answers = "\n".join(["The Orb", "9:16", "realistic", "short grey hair, white lab coat",
                         "en_US-joe-medium+f1", "", "y"]) + "\n"
    result = CliRunner().invoke(cli, ["draft", text, "-o", str(film), "--interactive",
                                      "--duration", "8"], input=answers,
                                env={"MINISTUDIO_CONFIG": str(tmp_path / "none.toml")})
    assert result.exit_code == 0, result.output
    assert "Target length" not in result.output  # --duration answered it
    assert "plan: 'The Orb' (9:16)" in result.output and "estimated 0.00 USD" in result.output
    data = yaml.safe_load(film.read_text())
    assert data["title"] == "The Orb" and data["format"]["aspect_ratio"] == "9:16"
    assert data["style"]["preset"] == "realistic"
    researcher = data["characters"]["researcher"]
    assert "white lab coat" in researcher["description"]
    assert researcher["voice"] == {"id": "en_US-joe-medium+f1"}
    assert researcher["references"] == ["refs/researcher.png"]


def test_interactive_without_stdin_refuses_clearly(tmp_path: Path) -> None:
    proc = ministudio("draft", "A fox runs through the snow.", "-o", str(tmp_path / "f.yaml"),
                      "--interactive", stdin="")
    assert proc.returncode == 2
    assert "stdin ended" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "f.yaml").exists()
