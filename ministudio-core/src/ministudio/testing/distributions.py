"""Installed-looking plugin distributions for discovery tests.

``importlib.metadata`` finds ``*.dist-info`` folders on ``sys.path`` exactly as it finds
pip-installed packages, so a process run with ``PYTHONPATH=<site>`` sees what
:func:`add_distribution` writes as a real installed plugin (entry point group ``ministudio``),
without building or installing anything.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

__all__ = ["add_distribution"]


def add_distribution(
    site: Path,
    dist: str,
    module: str,
    source: str,
    *,
    version: str = "1.0.0",
    ep_name: str | None = None,
    requires: tuple[str, ...] = (),
) -> Path:
    """Write ``module.py`` (from ``source``) and its dist-info into ``site``; return the dist-info."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    meta = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(meta) + "\n")
    (info / "entry_points.txt").write_text(f"[ministudio]\n{ep_name or module} = {module}\n")
    return info
