"""Build installed-looking distributions (dist-info + module) in a folder for discovery tests.

importlib.metadata finds ``*.dist-info`` folders on ``sys.path`` exactly as it finds pip-installed
packages, so a subprocess with ``PYTHONPATH=<folder>`` sees these as real installed plugins.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

GOOD = '''
from ministudio import ClipModel, Operation, ProviderSpec, hookimpl
MINISTUDIO_PLUGIN_API = 1

@hookimpl
def register_providers():
    yield ProviderSpec(name={provider!r}, operations={{Operation.CLIP}},
                       clip_models=(ClipModel(id="m1"),))
'''


def add_dist(
    site: Path,
    dist: str,
    module: str,
    source: str,
    *,
    version: str = "1.0.0",
    ep_name: str | None = None,
    requires: tuple[str, ...] = (),
) -> None:
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    meta = [f"Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(meta) + "\n")
    (info / "entry_points.txt").write_text(f"[ministudio]\n{ep_name or module} = {module}\n")


def broken_site(site: Path) -> Path:
    """One good plugin and one of each kind of broken plugin."""
    site.mkdir(parents=True, exist_ok=True)
    add_dist(site, "ms-good", "ms_good", GOOD.format(provider="goodcam"))
    add_dist(site, "ms-import-fails", "ms_import_fails", "import not_a_real_module_xyz\n")
    add_dist(
        site, "ms-raises", "ms_raises",
        """
        from ministudio import hookimpl
        MINISTUDIO_PLUGIN_API = 1
        @hookimpl
        def register_providers():
            raise RuntimeError("registration exploded")
        """,
    )
    add_dist(site, "ms-dup-a", "ms_dup_a", GOOD.format(provider="dupcam"))
    add_dist(site, "ms-dup-b", "ms_dup_b", GOOD.format(provider="dupcam"), version="2.0.0")
    add_dist(
        site, "ms-old-api", "ms_old_api",
        GOOD.format(provider="oldcam").replace("MINISTUDIO_PLUGIN_API = 1", "MINISTUDIO_PLUGIN_API = 99"),
    )
    add_dist(
        site, "ms-needs-future-core", "ms_future", GOOD.format(provider="futurecam"),
        requires=("ministudio-core>=9.0",),
    )
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return broken_site(tmp_path_factory.mktemp("site"))
