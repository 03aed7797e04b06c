"""Child process for the leftovers test: ``render`` FILM into OUT with slow fake providers,
journalling every clip submit, so the parent can kill it while it works."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from chaos import ChaosClipPlugin, FakeSpeechPlugin  # noqa: E402
from ministudio.config import load_settings  # noqa: E402
from ministudio.engine import render  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402


def main(film: Path, out: Path) -> None:
    project = film.parent
    manager = PluginManager(load_entrypoints=False, env={})
    manager.register(ChaosClipPlugin(latency_s=2.0, journal=project / "journal.jsonl"), "chaos")
    manager.register(FakeSpeechPlugin(), "fakevoice")
    settings = load_settings(project_dir=project, env={}, user_config=project / "none.toml",
                             overrides=("identity.threshold=0.0",))
    render(film, out=out, manager=manager, settings=settings)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
