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


#: errors that stop the whole render: every later provider call would fail the same way
STOPPING_ERRORS = {
    "AuthenticationError": "fix the credentials",
    "PaymentRequiredError": "add credit or enable billing for the account",
    "BudgetExceededError": "raise --max-cost",
}


class RenderFailedError(MinistudioError):
    """One or more shots could not be produced. ``failures`` names each shot, provider,
    stage and reason; shots that were finished are kept in the project's cache (``kept``:
    how many, when known; ``missing``: how many shots were not produced, waiting ones
    included). An ``AuthenticationError``, ``PaymentRequiredError`` or a budget
    stop ends the whole render (no further provider call); the message says so."""

    def __init__(
        self, failures: Sequence[ShotFailure], *, production_id: int | None = None,
        hint: str | None = None, kept: int | None = None, missing: int | None = None,
    ) -> None:
        self.failures = tuple(failures)
        self.production_id = production_id
        self.kept = kept
        stop = next((f for f in self.failures if f.error_type in STOPPING_ERRORS), None)
        kept_text = ("finished shots are kept" if kept is None else
                     f"{kept} finished shot{'s' if kept != 1 else ''} "
                     f"{'are' if kept != 1 else 'is'} kept")
        if stop is not None:
            others = (missing - 1 if missing is not None
                      else len({f.shot for f in self.failures} - {stop.shot}))
            head = (f"render stopped: {stop.line()}" + (
                f"\n  {others} other shot{'s' if others != 1 else ''} not rendered: after "
                f"{stop.error_type} no further provider call is made" if others else ""))
            hint = hint or (f"{kept_text} in the project's cache (speech included): "
                            f"{STOPPING_ERRORS[stop.error_type]} and run again; only the "
                            "missing shots are rendered")
        else:
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
            or f"{kept_text}: fix the cause and run again (only the missing shots are "
            "rendered), or pass --allow-gaps to assemble with slate cards",
        )


class ShotError(MinistudioError):
    """A shot failed at one stage; carries the :class:`ShotFailure` for the final report."""

    def __init__(self, failure: ShotFailure) -> None:
        super().__init__(failure.line())
        self.failure = failure
