"""Tiny films and test plugins for the batch tests.

Importable by name in Dask worker processes (they are spawned with this process's
``sys.path``), so plugin objects built here pickle by reference.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

from ministudio.capabilities import ClipModel, Pricing
from ministudio.errors import JobFailedError
from ministudio.testing.fakes import FakeClipPlugin

FILM = """\
title: Tiny {n}
format: {{aspect_ratio: "16:9", resolution: 360p, fps: 24}}
defaults: {{provider: {provider}}}
environments:
  room: {{description: a plain room number {n}}}
scenes:
  - id: s
    environment: room
    shots:
      - {{id: a, action: a red ball rolls across the floor {n}, duration: 1}}
      - {{id: b, action: the ball stops by the wall {n}, duration: 1}}
"""


def tiny_film(folder: Path, n: int, provider: str = "fake") -> Path:
    """A two-shot, 2-second film at 360p in its own project folder."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "film.yaml"
    path.write_text(FILM.format(n=n, provider=provider))
    return path


def tiny_films(root: Path, count: int, *, broken: int | None = None) -> list[Path]:
    return [tiny_film(root / f"film{i}", i, "broken" if i == broken else "fake")
            for i in range(1, count + 1)]


def _refuse(request, _calls):  # noqa: ANN001
    raise JobFailedError(f"the broken provider refuses shot {request.shot_id}")


def broken_plugin() -> FakeClipPlugin:
    return FakeClipPlugin(name="broken", fail=_refuse)


class KillOnce:
    """Kills its own process (a Dask worker) at the first clip of shot ``b`` of the film
    whose prompt mentions ``marker_word``, once (a marker file remembers it)."""

    def __init__(self, marker: Path, word: str) -> None:
        self.marker = marker
        self.word = word

    def __call__(self, request, _calls) -> None:  # noqa: ANN001
        if self.word in request.prompt and request.shot_id.endswith("b") \
                and not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)


def paid_plugin(per_second: str = "0.50") -> FakeClipPlugin:
    """``fake`` with a price: a 2 s tiny film is estimated at 2 x per_second."""
    base = FakeClipPlugin(name="fake").model
    import attrs

    model: ClipModel = attrs.evolve(base, pricing=Pricing(per_second=Decimal(per_second),
                                                          as_of=date(2026, 1, 1), source="test"))
    return FakeClipPlugin(name="fake", model=model)


class KillAlways:
    """Kills its own process at every clip whose prompt mentions ``word``."""

    def __init__(self, word: str) -> None:
        self.word = word

    def __call__(self, request, _calls) -> None:  # noqa: ANN001
        if self.word in request.prompt:
            os._exit(1)
