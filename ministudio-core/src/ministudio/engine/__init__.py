"""The production engine: ``render(film)`` turns a film file into a finished film.

Public API::

    from ministudio.engine import render, render_async

    result = render("film.yaml", out="out", max_cost="5.00", concurrency=4)
    result.film, result.files["report"], result.actual_cost, result.provider_calls

Modules: :mod:`~ministudio.engine.render` (orchestration), :mod:`~ministudio.engine.production`
(per-shot work: cache, retries, identity gate), :mod:`~ministudio.engine.scheduler`
(dependency graph and limits), :mod:`~ministudio.engine.ledger` (SQLite ledger),
:mod:`~ministudio.engine.store` (content-addressed media), :mod:`~ministudio.engine.keys`
(cache keys), :mod:`~ministudio.engine.budget`, :mod:`~ministudio.engine.lock`,
:mod:`~ministudio.engine.progress`, :mod:`~ministudio.engine.outputs` and
:mod:`~ministudio.engine.report`. See ``docs/render.md`` and ``docs/manifest.md``.
"""

from __future__ import annotations

from ministudio.engine.errors import (
    BudgetExceededError,
    RenderFailedError,
    RenderLockedError,
    ShotFailure,
)
from ministudio.engine.render import RenderResult, ShotReport, render, render_async

__all__ = [
    "BudgetExceededError",
    "RenderFailedError",
    "RenderLockedError",
    "RenderResult",
    "ShotFailure",
    "ShotReport",
    "render",
    "render_async",
]
