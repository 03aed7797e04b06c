from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ministudio.config import load_settings  # noqa: E402
from ministudio.dispatch import Dispatcher, RetryPolicy  # noqa: E402
from ministudio.engine.budget import Budget  # noqa: E402
from ministudio.engine.ledger import Ledger  # noqa: E402
from ministudio.engine.production import Production, shoot_all  # noqa: E402
from ministudio.engine.scheduler import Limits  # noqa: E402
from ministudio.engine.store import MediaStore  # noqa: E402
from ministudio.plugins import PluginManager  # noqa: E402

FAST_RETRY = RetryPolicy(attempts=4, initial_s=0.01, max_wait_s=0.02)


class Harness:
    """A production on a temporary project, driven without a film file."""

    def __init__(self, root: Path, *plugins: Any, overrides: tuple[str, ...] = ()) -> None:
        self.root = root
        self.state = root / ".ministudio"
        self.manager = PluginManager(load_entrypoints=False, env={})
        for i, p in enumerate(plugins):
            self.manager.register(p, f"p{i}")
        self.settings = load_settings(project_dir=root, env={}, overrides=overrides,
                                      user_config=root / "none.toml")
        self.ledger = Ledger(self.state / "ledger.sqlite")
        self.store = MediaStore(self.state / "media")

    def production(self, *, concurrency: int = 4, max_cost: Any = None,
                   force: frozenset[str] = frozenset(), events: list | None = None) -> Production:
        work = self.state / "work"
        work.mkdir(parents=True, exist_ok=True)
        disp = Dispatcher(self.manager, retry=RetryPolicy(attempts=1), env={})
        pid = self.ledger.start_production("test", "test", Decimal(0))
        return Production(
            ledger=self.ledger, store=self.store, dispatcher=disp, limits=Limits(concurrency),
            budget=Budget(None if max_cost is None else Decimal(str(max_cost))),
            production_id=pid, settings=self.settings,
            emit=(events.append if events is not None else (lambda e: None)),
            workdir=work, retry=FAST_RETRY, force=force,
        )

    def run(self, plans: Any, **kw: Any) -> tuple[Production, dict[str, Any]]:
        prod = self.production(**kw)
        outcomes = asyncio.run(shoot_all(prod, plans))
        return prod, outcomes


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Any]:
    made: list[Harness] = []

    def make(*plugins: Any, **kw: Any) -> Harness:
        h = Harness(tmp_path, *plugins, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.ledger.close()
