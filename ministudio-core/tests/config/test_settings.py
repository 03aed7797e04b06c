"""Layered settings and secret handling (issue 3: configuration and secrets)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ministudio.config import load_settings
from ministudio.errors import ConfigError
from ministudio.testing.distributions import add_distribution

CANARY = "canary-sk-8d1f2e"


def test_layers_later_wins_and_sources_are_tracked(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    user.write_text('[render]\nconcurrency = 2\nmax_cost = 5.0\n[providers.vertex]\nlocation = "eu"\n')
    project = tmp_path / "film"
    project.mkdir()
    (project / "ministudio.toml").write_text("[render]\nconcurrency = 3\n")
    env = {"MINISTUDIO__PROVIDERS__VERTEX__PROJECT": "my-proj", "MINISTUDIO__RENDER__MAX_COST": "7.5"}
    s = load_settings(project_dir=project, env=env, user_config=user,
                      overrides=["render.concurrency=6"])
    assert s.get("render.concurrency") == 6
    assert s.get("render.max_cost") == 7.5
    assert s.provider("vertex") == {"location": "eu", "project": "my-proj"}
    assert s.sources["render.concurrency"] == "command line"
    assert s.sources["render.max_cost"] == "environment"
    assert s.sources["providers.vertex.location"] == str(user)
    assert s.get("media.codec") == "libx264"  # default survives


def test_project_dotenv_feeds_env_without_overriding(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("KLING_API_KEY=from-dotenv\nOTHER=x\n")
    s = load_settings(project_dir=tmp_path, env={"OTHER": "real"}, user_config=tmp_path / "none")
    assert s.env["KLING_API_KEY"] == "from-dotenv"
    assert s.env["OTHER"] == "real"


def test_unknown_sections_and_bad_overrides_are_all_reported(tmp_path: Path) -> None:
    (tmp_path / "ministudio.toml").write_text("[rendr]\nconcurrency = 3\n")
    with pytest.raises(ConfigError) as info:
        load_settings(project_dir=tmp_path, env={}, user_config=tmp_path / "none",
                      overrides=["nonsense"])
    text = str(info.value)
    assert "unknown section 'rendr'" in text and "KEY=VALUE" in text
    assert len(info.value.problems) == 2


def test_secret_looking_settings_are_masked(tmp_path: Path) -> None:
    s = load_settings(env={"MINISTUDIO__PROVIDERS__HF__API_TOKEN": CANARY},
                      user_config=tmp_path / "none")
    rows = {k: v for k, v, _ in s.describe()}
    assert rows["providers.hf.api_token"] == "****"
    assert CANARY not in repr(s.describe())


SECRET_PLUGIN = f'''
from ministudio import AuthSpec, ClipModel, Operation, ProviderSpec, hookimpl
MINISTUDIO_PLUGIN_API = 1

@hookimpl
def register_providers():
    yield ProviderSpec(name="keyed", operations={{Operation.CLIP}},
                       clip_models=(ClipModel(id="m"),), auth=AuthSpec(env_vars=("KEYED_API_KEY",)))
'''


def test_canary_secret_never_printed_by_cli(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    add_distribution(site, "ms-keyed", "ms_keyed", SECRET_PLUGIN)
    env = {**os.environ, "PYTHONPATH": str(site),
           "KEYED_API_KEY": CANARY, "MINISTUDIO__PROVIDERS__KEYED__API_KEY": CANARY,
           "MINISTUDIO_CONFIG": str(tmp_path / "none.toml")}
    outputs = []
    for args in (["config", "show"], ["config", "show", "--json"], ["providers", "show", "keyed"],
                 ["providers", "show", "keyed", "--json"], ["providers", "list", "--json"],
                 ["-vv", "providers", "list"]):
        proc = subprocess.run([sys.executable, "-m", "ministudio", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout + proc.stderr)
    assert all(CANARY not in out for out in outputs)
    shown = json.loads(subprocess.run(
        [sys.executable, "-m", "ministudio", "providers", "show", "keyed", "--json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60).stdout)
    assert shown["auth"]["env_vars"] == {"KEYED_API_KEY": True}

