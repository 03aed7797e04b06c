"""Fixtures: the fake Vertex service of :mod:`ministudio_vertex.testing` and test images."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from ministudio_vertex.testing import FakeVertex, dispatcher


@pytest.fixture
def fake(tmp_path: Path) -> FakeVertex:
    return FakeVertex(tmp_path)


@pytest.fixture
def render(tmp_path: Path):
    """``render(fake, request, settings=..., env=..., report_job=..., resume_job_id=...)``
    runs the request through core's Dispatcher (capability check, routing) and the plugin."""

    def run(fake: FakeVertex, request: Any, *, settings: dict[str, Any] | None = None,
            env: dict[str, str] | None = None, **kwargs: Any) -> Any:
        d = dispatcher(fake, settings=settings, env=env)
        return asyncio.run(d.generate_clip(request, workdir=tmp_path / "work", **kwargs))

    return run


@pytest.fixture
def png(tmp_path: Path):
    """png(name) writes a small real PNG and returns its path."""
    from PIL import Image

    def make(name: str, color: tuple[int, int, int] = (200, 40, 40)) -> Path:
        path = tmp_path / name
        suffix = path.suffix.lower()
        Image.new("RGB", (64, 36), color).save(path, format={".jpg": "JPEG", ".jpeg": "JPEG",
                                                           ".webp": "WEBP"}.get(suffix, "PNG"))
        return path

    return make
