"""``render()`` from Python is quiet unless asked: no debug or info lines on stdout or stderr
(structlog's own default prints every level to stdout), warnings still on stderr, and an
application's own structlog set-up is kept. Run in a fresh interpreter: the CLI and other
tests configure structlog for the whole process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import sys
    from pathlib import Path
    import structlog
    {setup}
    sys.path.insert(0, {tests!r})
    from chaos import ChaosClipPlugin
    from ministudio.config import load_settings
    from ministudio.engine import render
    from ministudio.plugins import PluginManager

    root = Path({root!r})
    manager = PluginManager(load_entrypoints=False, env={{}})
    manager.register(ChaosClipPlugin(), "chaos")
    settings = load_settings(project_dir=root, env={{}}, user_config=root / "none.toml",
                             overrides=("identity.threshold=0.0",))
    render(root / "film.yaml", out=root / "out", manager=manager, settings=settings)
    structlog.get_logger("app").warning("app.warned", who="the app")
    structlog.get_logger("app").info("app.info")
    print("RENDERED")
""")

FILM = """
title: Quiet
format: {aspect_ratio: "16:9", resolution: 360p, fps: 24}
defaults: {provider: chaos}
environments:
  lab: {description: a small lab}
scenes:
  - id: one
    environment: lab
    shots:
      - {id: a, action: A lamp., duration: 1}
      - {id: b, action: A desk., duration: 1}
"""


def _run(tmp_path: Path, setup: str = "") -> subprocess.CompletedProcess[str]:
    (tmp_path / "film.yaml").write_text(FILM)
    code = SCRIPT.format(setup=setup, tests=str(Path(__file__).parent), root=str(tmp_path))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


def test_a_library_render_prints_nothing_but_warnings(tmp_path: Path) -> None:
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "RENDERED\n"  # no log line on stdout
    assert "plan.clip" not in proc.stderr and "[debug" not in proc.stderr
    assert "[info" not in proc.stderr and "app.info" not in proc.stderr
    assert "app.warned" in proc.stderr  # warnings still reach stderr
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_an_applications_own_structlog_configuration_is_kept(tmp_path: Path) -> None:
    setup = ("structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stdout), "
             "processors=[structlog.processors.add_log_level, "
             "structlog.processors.KeyValueRenderer(key_order=['event']) ])")
    proc = _run(tmp_path, setup)
    assert proc.returncode == 0, proc.stderr
    assert "event='plan.clip'" in proc.stdout  # the app asked for everything: it gets it
    assert "event='app.info'" in proc.stdout
