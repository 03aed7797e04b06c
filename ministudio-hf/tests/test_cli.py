"""`ministudio providers show hf` lists the models and their capabilities.

Run in a subprocess: the CLI configures structlog for the whole process, which would change
how later tests capture logs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[str]) -> None:
        self.exit_code = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.stdout = proc.stdout


class Runner:
    def __init__(self, tmp_path: Path) -> None:
        self.cwd = tmp_path
        self.env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN",)}
        self.env.update(MINISTUDIO_LOAD_PLUGINS="hf", MINISTUDIO_CONFIG=str(tmp_path / "none.toml"))

    def invoke(self, args: list[str]) -> Result:
        proc = subprocess.run([sys.executable, "-m", "ministudio", *args], cwd=self.cwd,
                              env=self.env, capture_output=True, text=True, timeout=60)
        return Result(proc)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def test_show_json_lists_models_and_capabilities(runner: Runner) -> None:
    result = runner.invoke(["providers", "show", "hf", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["name"] == "hf" and info["operations"] == ["clip", "draft"]
    assert info["auth"]["env_vars"] == {"HF_TOKEN": False}
    models = {m["id"]: m for m in info["models"]}
    assert set(models) == {"wan-2.2-a14b", "wan-2.1-14b", "ltx-video", "hunyuan-video",
                           "cogvideox-5b", "mochi-1"}
    assert info["default_model"] == "wan-2.2-a14b"
    for m in models.values():
        assert m["last_frame"] is False and m["max_reference_images"] == 0
        assert m["pricing"] is None  # shown as unknown
    wan = models["wan-2.2-a14b"]
    assert wan["first_frame"] is True
    assert (wan["min_duration_s"], wan["max_duration_s"]) == (17 / 16, 161 / 16)
    assert wan["fps"] == [16] and wan["resolutions"] == ["480p", "720p"]
    assert models["hunyuan-video"]["first_frame"] is False
    assert models["cogvideox-5b"]["durations"] == [6.125]


def test_show_text(runner: Runner) -> None:
    result = runner.invoke(["providers", "show", "hf"])
    assert result.exit_code == 0, result.output
    assert "model wan-2.2-a14b (clip)  [default]" in result.output
    assert "auth: HF_TOKEN is NOT set" in result.output
    assert "pricing: unknown" in result.output
