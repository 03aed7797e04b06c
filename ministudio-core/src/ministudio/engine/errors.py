"""Errors the production engine raises (all :class:`~ministudio.errors.MinistudioError`)."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from ministudio.errors import MinistudioError

__all__ = [
    "BudgetExceededError", "RenderFailedError", "RenderLockedError", "ShotError", "ShotFailure",
]


@attrs.frozen(kw_only=True)
class ShotFailure:
    """Why one shot could not be produced: which shot, which provider, at which stage."""

    shot: str
    provider: str
    stage: str
    reason: str
    error_type: str = ""

    def line(self) -> str:
        return f"shot {self.shot}: {self.stage} with {self.provider} failed: {self.reason}"


class RenderLockedError(MinistudioError):
    """Another render of the same project holds the project's lock."""


class BudgetExceededError(MinistudioError):
    """The next paid call would take the spending of this render over ``--max-cost``."""

    def __init__(self, message: str, *, shot: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.shot = shot


class RenderFailedError(MinistudioError):
    """One or more shots could not be produced. ``failures`` names each shot, provider,
    stage and reason; shots that were finished are kept in the project's cache."""

    def __init__(
        self, failures: Sequence[ShotFailure], *, production_id: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.failures = tuple(failures)
        self.production_id = production_id
        head = (
            self.failures[0].line()
            if len(self.failures) == 1
            else f"{len(self.failures)} shots failed:\n" + "\n".join(
                "  " + f.line() for f in self.failures
            )
        )
        super().__init__(
            head,
            hint=hint
            or "finished shots are kept: fix the cause and run again (only the missing shots are "
            "rendered), or pass --allow-gaps to assemble with slate cards",
        )


class ShotError(MinistudioError):
    """A shot failed at one stage; carries the :class:`ShotFailure` for the final report."""

    def __init__(self, failure: ShotFailure) -> None:
        super().__init__(failure.line())
        self.failure = failure
