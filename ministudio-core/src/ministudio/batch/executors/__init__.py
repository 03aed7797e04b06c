"""Executors: where a batch's tasks run. Plugins of their own kind.

A plugin offers executors through the ``register_executors`` hook, returning
:class:`ExecutorSpec` records; core's built-in plugin offers ``local`` (asyncio in this
process), ``dask`` (Dask distributed: a ``LocalCluster`` or ``dask://host:8786``) and ``ray``
(films here, clips of local diffusers models on a pool of Ray actors, one per GPU).
``--executor NAME`` or ``--executor NAME://ADDRESS`` picks one.

An executor is an object with ``name``, ``slots`` (how many tasks it runs at once) and three
coroutines: ``start(emit)``, ``run(task) -> list[FilmResult]`` and ``close()``. ``run`` may
raise; the runner then fails every film of that task, naming the error, and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import attrs

from ministudio.errors import ConfigError

__all__ = ["Executor", "ExecutorSpec", "MissingExtraError", "find_executor", "parse_executor"]


class MissingExtraError(ConfigError):
    """The executor's libraries are not installed (the message names the pip command)."""


class Executor(Protocol):
    name: str
    slots: int

    async def start(self, emit: Callable[[dict[str, Any]], None]) -> None: ...

    async def run(self, task: Any) -> list[Any]: ...

    async def close(self) -> None: ...


@attrs.frozen(kw_only=True)
class ExecutorSpec:
    """An executor a plugin offers.

    ``factory(address, slots=..., **options)`` builds the executor: ``address`` is what
    followed ``NAME://`` (``None`` for a plain name), ``slots`` the films at once asked for
    (``None``: the executor's own default), ``options`` executor-specific keywords
    (``run_batch(executor_options=...)``). It must import heavy libraries only when called,
    and raise :class:`MissingExtraError` naming the install command when they are missing.
    """

    name: str
    factory: Callable[..., Executor]
    description: str = ""
    #: set by the plugin manager: the plugin that registered it
    plugin: str | None = None


def parse_executor(value: str) -> tuple[str, str | None]:
    """``dask`` -> ("dask", None); ``dask://sched:8786`` -> ("dask", "sched:8786")."""
    if "://" in value:
        name, address = value.split("://", 1)
        return name, address or None
    return value, None


def find_executor(specs: Mapping[str, ExecutorSpec], value: str) -> tuple[ExecutorSpec, str | None]:
    name, address = parse_executor(value)
    spec = specs.get(name)
    if spec is None:
        raise ConfigError(f"no executor named {name!r} (available: {', '.join(sorted(specs))})",
                          hint="executors come from plugins: see docs/batch.md")
    return spec, address


def require(module: str, extra: str) -> Any:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"the {extra} executor needs {exc.name or module}, which is not installed",
            hint=f"pip install 'ministudio-core[{extra}]'",
        ) from exc
