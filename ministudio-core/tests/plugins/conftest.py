"""Build installed-looking distributions (dist-info + module) in a folder for discovery tests.

importlib.metadata finds ``*.dist-info`` folders on ``sys.path`` exactly as it finds pip-installed
packages, so a subprocess with ``PYTHONPATH=<folder>`` sees these as real installed plugins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ministudio.testing.distributions import add_distribution as add_dist

GOOD = '''
from ministudio import ClipModel, Operation, ProviderSpec, hookimpl
MINISTUDIO_PLUGIN_API = 1

@hookimpl
def register_providers():
    yield ProviderSpec(name={provider!r}, operations={{Operation.CLIP}},
                       clip_models=(ClipModel(id="m1"),))
'''


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
