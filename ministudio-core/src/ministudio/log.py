"""Logging set-up. Library code uses ``get_logger(__name__)`` (``structlog.get_logger``, imported
on first use; modules off the CLI's start-up path may use structlog directly) and binds
``shot``/``provider``/``model``.

A library call is quiet unless asked: importing :mod:`ministudio` installs
:func:`quiet_default` when nothing configured structlog yet, so ``render()`` from Python
prints only warnings (to stderr), never the debug and info lines structlog prints by default.
Ask for more with :func:`configure` (the CLI does, from ``-v``/``-vv``); an application that
configures structlog itself keeps its own configuration, before or after the import.
"""

from __future__ import annotations

import importlib.machinery
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

__all__ = ["configure", "get_logger", "quiet_default"]

# structlog is imported only when something logs: importing it pulls in structlog.dev and with
# it rich.traceback/rich.pretty (about half of a `providers list`). Until then the set-up asked
# for is kept and applied the moment anything imports structlog.
_pending: list[Callable[[], None]] = []


class _ApplyOnImport:
    """Finds ``structlog`` with the normal machinery and applies the pending set-up right
    after the module has run, whoever imports it (a meta path finder and loader by protocol:
    subclassing ``importlib.abc`` would import ``importlib.resources`` and ``tempfile``)."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "structlog":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        self._inner = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: Any) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._inner.exec_module(module)  # type: ignore[attr-defined]
        sys.modules[module.__name__] = module
        _apply_pending()


_HOOK = _ApplyOnImport()


def _apply_pending() -> None:
    while _pending:
        _pending.pop(0)()


def _when_structlog(fn: Callable[[], None], *, replace: bool = True) -> None:
    if "structlog" in sys.modules:
        fn()
        return
    if replace:
        _pending.clear()
    _pending.append(fn)
    if _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


class _LazyLogger:
    """``structlog.get_logger(name)``, imported on first use. Until structlog is imported
    (by anyone), an event below the level set up for it (warning unless :func:`configure`
    asked for more) is dropped without importing it, and :meth:`bind` keeps its context
    here, so a render or an assembly that logs nothing worth showing never pays for
    structlog (and ``rich``, which ``structlog.dev`` imports)."""

    __slots__ = ("_ctx", "_name", "_proxy")

    def __init__(self, name: str | None, ctx: dict[str, Any] | None = None) -> None:
        self._name = name
        self._ctx = ctx
        self._proxy: Any = None

    def bind(self, **kw: Any) -> Any:
        if self._proxy is None and "structlog" not in sys.modules:
            return _LazyLogger(self._name, {**(self._ctx or {}), **kw})
        return self.__getattr__("bind")(**kw)

    def __getattr__(self, attr: str) -> Any:
        if self._proxy is None:
            if "structlog" not in sys.modules and _LEVELS.get(attr, CRITICAL) < _threshold:
                return _drop
            import structlog

            proxy = structlog.get_logger(self._name)
            self._proxy = proxy.bind(**self._ctx) if self._ctx else proxy
        return getattr(self._proxy, attr)


def _drop(*_args: Any, **_kw: Any) -> None:
    return None


def get_logger(name: str | None = None) -> Any:
    """A structlog logger that imports structlog only when it is first used."""
    return _LazyLogger(name)

#: the standard library's ``logging`` levels (not imported for them: a cold start never logs)
DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50
_LEVELS = {"debug": DEBUG, "info": INFO, "warning": WARNING, "warn": WARNING, "error": ERROR,
           "exception": ERROR, "critical": CRITICAL, "fatal": CRITICAL}


#: events below this level are dropped while structlog is not imported (see _LazyLogger)
_threshold = WARNING


def configure(*, verbosity: int = 0, fmt: str = "console") -> None:
    """Send logs to stderr: warnings by default, info with ``-v``, debug with ``-vv``
    (applied when structlog is first imported, if it is not yet)."""
    global _threshold
    _threshold = WARNING - 10 * min(verbosity, 2)
    _when_structlog(lambda: _configure(verbosity, fmt))


def _configure(verbosity: int, fmt: str) -> None:
    import structlog

    level = WARNING - 10 * min(verbosity, 2)
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
    if _LEVELS.get(method, WARNING) < WARNING:
        import structlog

        raise structlog.DropEvent
    return event


def quiet_default() -> None:
    """Unless structlog is configured already: warnings and errors to stderr, nothing else.

    The level is a processor (not a filtering logger), so ``structlog.testing.capture_logs``
    still sees every event. Applied when structlog is first imported, if it is not yet."""
    _when_structlog(_quiet, replace=False)


def _quiet() -> None:
    import structlog

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
