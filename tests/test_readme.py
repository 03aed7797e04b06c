"""The README works as written for a newcomer on a fresh clone: the tour activates the venv
before using bare `ministudio`, installs what it shows (vertex) from the clone, and the docs
never tell anyone to `pip install` a package name that is not on PyPI yet."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCS = [README, *sorted((REPO / "docs").rglob("*.md")),
        *sorted((REPO / "examples" / "plugins").glob("*/README.md"))]
ACTIVATE = re.compile(r"^(\.|source) \.venv/bin/activate\b")
#: a provider the tour shows -> the folder of the package that offers it
PACKAGE_OF = {"vertex": "ministudio-vertex", "hf": "ministudio-hf", "animatic": "ministudio-local",
              "piper": "ministudio-tts", "espeak": "ministudio-tts"}
#: what the set-up command installs before the tour
SETUP_ONE = ("ministudio-core", "ministudio-local", "ministudio-tts")


def _blocks(text: str) -> list[list[str]]:
    """The lines of every ```bash / ```sh block."""
    blocks: list[list[str]] = []
    fence: str | None = None  # the opening line of the block we are in
    for line in text.splitlines():
        if line.startswith("```"):
            if fence is None:
                fence = line.strip()
                if fence in ("```bash", "```sh"):
                    blocks.append([])
            else:
                fence = None
        elif fence in ("```bash", "```sh"):
            blocks[-1].append(line)
    return blocks


def _command(line: str) -> str:
    return line.split("  #", 1)[0].strip()


def test_bare_ministudio_only_after_activating_the_venv() -> None:
    for block in _blocks(README.read_text()):
        active = False
        for line in block:
            cmd = _command(line)
            if ACTIVATE.match(cmd):
                active = True
            for part in re.split(r"&&|;", cmd):
                if part.strip().startswith("ministudio "):
                    assert active, f"README runs bare `{part.strip()}` before activating .venv"


def test_the_tour_installs_what_it_shows() -> None:
    text = README.read_text()
    installed = set(SETUP_ONE)
    for line in text.splitlines():
        for folder in re.findall(r"-e [\"']?\./(ministudio-[a-z]+)", line):
            installed.add(folder)
        shown = re.search(r"ministudio providers show ([a-z-]+)", _command(line))
        if shown:
            assert PACKAGE_OF[shown.group(1)] in installed, (
                f"the README shows {shown.group(1)} before installing "
                f"{PACKAGE_OF[shown.group(1)]}")


def test_no_install_line_names_a_package_that_is_not_on_pypi() -> None:
    bad = re.compile(r"(^|`)\s*pip install (torch\S* )?['\"]?ministudio-")
    for doc in DOCS:
        for n, line in enumerate(doc.read_text().splitlines(), 1):
            assert not bad.search(line), f"{doc.relative_to(REPO)}:{n}: {line.strip()}"


@pytest.mark.slow
def test_the_tour_runs_as_written(tmp_path: Path) -> None:
    """Every tour line but the installs, in order, in a folder where set-up command 1 has
    already rendered the example into out/tides (as a newcomer's clone is)."""
    tour = next(b for b in _blocks(README.read_text()) if any(ACTIVATE.match(_command(x))
                                                              for x in b))
    lines = [_command(x) for x in tour]
    script = [c for c in lines if c.startswith("ministudio ")]
    assert len(script) >= 7 and any(c.startswith("ministudio render") for c in script)
    tides = tmp_path / "out" / "tides"
    tides.mkdir(parents=True)
    (tides / "how-tides-work.mp4").write_bytes(b"set-up command 1 put the example film here")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "MINISTUDIO_CONFIG": str(tmp_path / "no-config.toml")}
    for cmd in script:
        proc = subprocess.run(shlex.split(cmd), cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, f"{cmd}: {proc.stderr[-2000:]}"
    assert (tmp_path / "hello.wav").is_file() and (tmp_path / "my-film" / "film.yaml").is_file()
    assert list((tmp_path / "out").glob("*/manifest.json"))
