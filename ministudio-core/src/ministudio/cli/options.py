"""Options that change what a film *means*, shared by ``validate``, ``plan`` and ``render``.

A film that validates with an option must plan and render with the same option, so each such
option is declared once here and every film command takes it through :func:`film_options`
(a test checks the three commands accept every one of them).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["FILM_OPTIONS", "film_options"]

F = TypeVar("F", bound=Callable[..., Any])

#: ``(parameter name, click option)`` for every film-meaning option
FILM_OPTIONS: tuple[tuple[str, Callable[[F], F]], ...] = (
    ("allow_outside_refs", click.option(
        "--allow-outside-refs", is_flag=True,
        help="Allow reference images outside the film's folder.",
    )),
    ("provider", click.option(
        "--provider", metavar="NAME",
        help="Use this video provider for every shot (its credentials are checked too).",
    )),
)


def film_options(fn: F) -> F:
    """Add every film-meaning option to a command (its function takes them as keywords)."""
    for _name, option in reversed(FILM_OPTIONS):
        fn = option(fn)
    return fn
