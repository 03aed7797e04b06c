"""A batch's result: one row per film (status, cost, failure reason) and the totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from ministudio.converter import unstructure

__all__ = ["BatchSummary", "FilmResult"]

#: statuses of a film that counts as rendered
OK = ("done", "done-with-gaps")


@attrs.frozen(kw_only=True)
class FilmResult:
    """One film of a batch: ``done``, ``done-with-gaps``, ``failed`` or ``skipped``."""

    name: str
    #: the film file
    path: str
    status: str
    cost: Decimal = Decimal(0)
    estimated_cost: Decimal | None = None
    provider_calls: int = 0
    #: the local folder the film was rendered into
    out: str | None = None
    #: the URL it was delivered to (``None``: not uploaded)
    delivered: str | None = None
    file: str | None = None
    shots: int = 0
    cached_shots: int = 0
    reason: str | None = None
    error_type: str | None = None
    #: ``host:pid`` of the process that rendered it
    worker: str | None = None
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in OK

    def to_json(self) -> dict[str, Any]:
        data = unstructure(self)
        data["film"] = data.pop("name")
        return data  # type: ignore[no-any-return]


@attrs.frozen(kw_only=True)
class BatchSummary:
    films: tuple[FilmResult, ...]
    executor: str
    max_cost: Decimal | None = None
    currency: str = "USD"
    wall_s: float = 0.0

    @property
    def cost(self) -> Decimal:
        return sum((f.cost for f in self.films), Decimal(0))

    @property
    def failed(self) -> tuple[FilmResult, ...]:
        return tuple(f for f in self.films if not f.ok)

    @property
    def ok(self) -> bool:
        return not self.failed

    def film(self, name: str) -> FilmResult:
        return next(f for f in self.films if f.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "executor": self.executor, "films": [f.to_json() for f in self.films],
            "done": sum(f.ok for f in self.films), "failed": sum(f.status == "failed"
                                                                 for f in self.films),
            "skipped": sum(f.status == "skipped" for f in self.films),
            "cost": str(self.cost), "max_cost": None if self.max_cost is None else str(self.max_cost),
            "currency": self.currency, "provider_calls": sum(f.provider_calls for f in self.films),
            "wall_s": round(self.wall_s, 3),
            "films_per_minute": round(60 * sum(f.ok for f in self.films) / self.wall_s, 2)
            if self.wall_s else None,
        }
