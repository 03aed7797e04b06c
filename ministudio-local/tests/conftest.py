"""Shared fixtures: real photos shipped in wheels (scikit-image, matplotlib)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``astronaut`` (Eileen Collins, scikit-image) and ``hopper`` (Grace Hopper, matplotlib)
    as files, plus a non-face photo (``coffee``) for fallbacks."""
    data = pytest.importorskip("skimage.data")
    cbook = pytest.importorskip("matplotlib.cbook")
    from PIL import Image

    d = tmp_path_factory.mktemp("photos")
    out = {"astronaut": d / "astronaut.png", "hopper": d / "hopper.jpg",
           "coffee": d / "coffee.png", "rocket": d / "rocket.png"}
    Image.fromarray(data.astronaut()).save(out["astronaut"])
    shutil.copy(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), out["hopper"])
    Image.fromarray(data.coffee()).save(out["coffee"])
    Image.fromarray(data.rocket()).save(out["rocket"])
    return out
