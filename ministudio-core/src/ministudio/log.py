"""Logging set-up. Library code just uses ``structlog.get_logger(__name__)`` and binds
``shot``/``provider``/``model``.

A library call is quiet unless asked: importing :mod:`ministudio` installs
:func:`quiet_default` when nothing configured structlog yet, so ``render()`` from Python
prints only warnings (to stderr), never the debug and info lines structlog prints by default.
Ask for more with :func:`configure` (the CLI does, from ``-v``/``-vv``); an application that
configures structlog itself keeps its own configuration, before or after the import.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["configure", "quiet_default"]

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "warn": logging.WARNING, "error": logging.ERROR, "exception": logging.ERROR,
           "critical": logging.CRITICAL, "fatal": logging.CRITICAL}


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


def _warnings_only(_logger: Any, method: str, event: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    if _LEVELS.get(method, logging.WARNING) < logging.WARNING:
        raise structlog.DropEvent
    return event


def quiet_default() -> None:
    """Unless structlog is configured already: warnings and errors to stderr, nothing else.

    The level is a processor (not a filtering logger), so ``structlog.testing.capture_logs``
    still sees every event."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            _warnings_only,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
