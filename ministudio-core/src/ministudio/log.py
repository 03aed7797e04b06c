"""Logging set-up. Only the CLI calls :func:`configure`; library code just uses
``structlog.get_logger(__name__)`` and binds ``shot``/``provider``/``model``."""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["configure"]


def configure(*, verbosity: int = 0, fmt: str = "console") -> None:
    """Send logs to stderr: warnings by default, info with ``-v``, debug with ``-vv``."""
    level = logging.WARNING - 10 * min(verbosity, 2)
    renderer: structlog.typing.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
