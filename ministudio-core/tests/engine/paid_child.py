"""Child process for the paid-jobs kill test: render PROJECT/film.yaml with the tutorial-style
job provider against a FakeTaskAPI whose jobs live in PROJECT/api (so they survive a kill)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import tutorial_provider  # noqa: E402
from ministudio.config import load_settings  # noqa: E402
from ministudio.dispatch import RetryPolicy  # noqa: E402
from ministudio.engine import render  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402
from ministudio.testing.taskapi import FakeTaskAPI  # noqa: E402


def main(project: Path, job_s: float) -> None:
    api = FakeTaskAPI(job_s=job_s, state_dir=project / "api")
    env = {"TASKAPI_KEY": api.key}
    manager = PluginManager(load_entrypoints=False, env=env)
    manager.register(tutorial_provider, "tutorial")
    settings = load_settings(project_dir=project, env=env, user_config=project / "none.toml")
    render(project / "film.yaml", out=project / "out", manager=manager, settings=settings,
           transport=api.transport(), retry=RetryPolicy(attempts=4, initial_s=0.5, max_wait_s=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))
