"""Tasks for the MiniStudio monorepo.

    nox -s tests_all                          # every package's tests, offline, one environment
    nox -s "tests(package='ministudio-tts')"  # one package against core from this checkout
    nox -s lint typecheck
    nox -s bench                              # benchmarks/ (on demand; prints ratios)
"""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["tests_all", "lint"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PACKAGES = sorted(p.name for p in ROOT.glob("ministudio-*") if (p / "pyproject.toml").is_file())
CPU_TORCH = "torch==2.13.0"  # the CPU build; an unpinned torch pulls GBs of CUDA wheels


@nox.session(python="3.11")
def tests_all(session: nox.Session) -> None:
    """All tests of all packages (and the example plugin), offline."""
    session.install("-r", "requirements-dev.txt")
    session.run("pytest", *session.posargs, env={"MINISTUDIO_STRICT_PLUGINS": "1"})


@nox.session(python="3.11")
@nox.parametrize("package", PACKAGES)
def tests(session: nox.Session, package: str) -> None:
    """One package's tests against core from this checkout."""
    if package == "ministudio-local":
        session.install(CPU_TORCH)
    extras = "testing" if package == "ministudio-core" else "test"
    session.install("-e", "./ministudio-core[testing]", "-e", f"./{package}[{extras}]")
    session.run("pytest", f"{package}/tests", *session.posargs,
                env={"MINISTUDIO_STRICT_PLUGINS": "1"})


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", *[f"{p}/src" for p in PACKAGES])


@nox.session(python="3.11")
def typecheck(session: nox.Session) -> None:
    session.install("mypy", "-r", "requirements-dev.txt")
    for package in PACKAGES:
        session.run("mypy", f"{package}/src", success_codes=[0, 1])


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Every benchmark in one table (``-- --quick`` for a shorter run). The ffmpeg floors use
    the system ffmpeg if there is one, else the static one in imageio-ffmpeg."""
    session.install("-r", "requirements-dev.txt", "imageio-ffmpeg")
    session.run("python", "benchmarks/run_all.py", *session.posargs)
