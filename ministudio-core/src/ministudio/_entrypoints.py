"""Installed distributions and their entry points, read straight from ``*.dist-info`` folders.

What :func:`importlib.metadata.distributions` finds on a plain ``sys.path`` (folders only), in the
same order, with the same entry points, without importing :mod:`importlib.metadata`: that
import pulls in the email package, :mod:`zipfile` and :mod:`csv`: about a fifth of what a
cold ``ministudio providers list`` executed (``benchmarks/providers_list_bench.py`` counts
the instructions). Anything
less plain goes to :mod:`importlib.metadata` itself: a ``sys.path`` entry that is a file (a
zip, a wheel, an egg), an ``.egg`` folder, or a meta-path finder other than the standard
:class:`~importlib.machinery.PathFinder` that can find distributions (PEX, zipapps, custom
installers). ``tests/plugins/test_entrypoints.py`` (in ``ministudio-core``) checks that both
agree on every installed distribution.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import os
import re
import sys
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["Distribution", "EntryPoint", "distribution", "distributions"]


class EntryPoint(Protocol):
    name: str
    group: str
    value: str

    def load(self) -> Any: ...


class Distribution(Protocol):
    @property
    def entry_points(self) -> Any: ...

    def read_text(self, filename: str) -> str | None: ...


#: an entry point's value, as importlib.metadata reads it: module, optional attribute, extras
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


class _EntryPoint:
    __slots__ = ("group", "name", "value")

    def __init__(self, name: str, value: str, group: str) -> None:
        self.name, self.value, self.group = name, value, group

    def load(self) -> Any:
        """The module, or the object the value names in it (as importlib.metadata loads it)."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r} has a malformed value {self.value!r}")
        module = importlib.import_module(match["module"])
        return functools.reduce(getattr, filter(None, (match["attr"] or "").split(".")), module)

    def __repr__(self) -> str:
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


class _PathDistribution:
    """A ``*.dist-info`` or ``*.egg-info`` folder."""

    __slots__ = ("_entry_points", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._entry_points: list[_EntryPoint] | None = None

    def read_text(self, filename: str) -> str | None:
        try:
            with open(os.path.join(self.path, filename), encoding="utf-8") as f:
                return f.read()
        except (OSError, UnicodeDecodeError):
            return None

    @property
    def entry_points(self) -> list[_EntryPoint]:
        if self._entry_points is None:
            self._entry_points = list(_parse(self.read_text("entry_points.txt") or ""))
        return self._entry_points

    def __repr__(self) -> str:
        return f"<distribution at {self.path!r}>"


def _parse(text: str) -> Iterator[_EntryPoint]:
    """``entry_points.txt``: ``[group]`` lines and ``name = value`` pairs; blank lines and
    ``#`` comments skipped, pairs before the first group ignored (importlib.metadata's
    reading, not configparser's)."""
    group = None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line.strip("[]")
        elif group is not None:
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"expected 'name = value' in [{group}], got {line!r}")
            yield _EntryPoint(name.strip(), value.strip(), group)


def _plain() -> bool:
    """Whether the standard path finder is the only one that can find distributions."""
    return not any(
        finder is not importlib.machinery.PathFinder and hasattr(finder, "find_distributions")
        for finder in sys.meta_path
    )


def _children(root: str) -> tuple[str, ...] | None:
    """A ``sys.path`` entry's metadata folders (:func:`_grouped`), none for one that does not
    exist (``()``); ``None`` for one only importlib.metadata can read (a file: zip, wheel or egg; or
    an egg folder). Kept per folder until it changes (its mtime), as importlib.metadata
    keeps its own."""
    try:
        mtime = os.stat(root or ".").st_mtime_ns
    except OSError:
        return ()
    return _listing(root, mtime)


@functools.lru_cache(maxsize=256)
def _listing(root: str, mtime: int) -> tuple[str, ...] | None:
    try:
        names = os.listdir(root or ".")
    except NotADirectoryError:
        return None
    except OSError:
        return None if os.path.isfile(root) else ()
    if os.path.basename(root).lower().endswith(".egg"):
        return None
    return _grouped(names)


def distribution(name: str) -> Distribution | None:
    """The first distribution called ``name`` (normalised, as
    :func:`importlib.metadata.distribution` finds it), or ``None``."""
    wanted = _normalise(name)
    for dist in distributions():
        path = getattr(dist, "path", None)
        if isinstance(path, str):
            if _normalise(os.path.basename(path).rpartition(".")[0].partition("-")[0]) == wanted:
                return dist
            continue
        import importlib.metadata as md  # a distribution importlib.metadata found

        try:
            return md.distribution(name)
        except md.PackageNotFoundError:
            return None
    return None


def distributions() -> Iterator[Distribution]:
    """Every distribution on ``sys.path``, as :func:`importlib.metadata.distributions` yields
    them: path entry by path entry, and within one folder grouped by normalised name (so the
    same distribution found twice is yielded twice; the first one found wins for callers that
    keep one)."""
    if _plain():
        found: list[list[str]] = []
        for root in sys.path:
            names = _children(root)
            if names is None:
                break
            found.append([os.path.join(root, child) for child in names])
        else:
            for paths in found:
                yield from map(_PathDistribution, paths)
            return
    import importlib.metadata as md

    yield from md.distributions()


def _grouped(names: list[str]) -> tuple[str, ...]:
    """The metadata folders among ``names``, grouped by normalised distribution name in the
    order each name first appears (importlib.metadata's ``Lookup``)."""
    groups: dict[str, list[str]] = {}
    for child in names:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            name = child.rpartition(".")[0].partition("-")[0]
            groups.setdefault(_normalise(name), []).append(child)
    return tuple(child for group in groups.values() for child in group)


def _normalise(name: str) -> str:
    """PEP 503's normalised name with ``_`` (``re.sub(r"[-_.]+", "_", name).lower()``)."""
    name = name.lower().replace("-", "_").replace(".", "_")
    while "__" in name:
        name = name.replace("__", "_")
    return name
