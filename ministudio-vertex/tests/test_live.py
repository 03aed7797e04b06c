"""Renders one real 4 s clip on Vertex AI. Costs money (about 0.60 USD: 4 s of veo-3.1-fast at 0.15 USD/s).

Run with ``pytest -m live ministudio-vertex/tests`` after ``gcloud auth application-default
login`` (or with VERTEX_ACCESS_TOKEN set) and GOOGLE_CLOUD_PROJECT set. Skipped otherwise.
"""

from __future__ import annotations

import asyncio
import os

import pytest
from ministudio.dispatch import Dispatcher
from ministudio.errors import AuthenticationError, ConfigError
from ministudio.plugins import PluginManager
from ministudio.requests import ClipRequest

pytestmark = pytest.mark.live


def _credentials_or_skip() -> None:
    if not os.environ.get("GOOGLE_CLOUD_PROJECT"):
        pytest.skip("GOOGLE_CLOUD_PROJECT is not set")
    from ministudio_vertex.auth import resolve

    try:
        resolve({}, os.environ)
    except (AuthenticationError, ConfigError) as exc:
        pytest.skip(f"no Google credentials: {exc}")


def test_live_render_one_four_second_clip(tmp_path):
    _credentials_or_skip()
    import ministudio_vertex.plugin
    from ministudio_vertex.output import probe

    pm = PluginManager(load_entrypoints=False)
    pm.register(ministudio_vertex.plugin, "vertex")
    model = os.environ.get("MINISTUDIO_VERTEX_LIVE_MODEL", "veo-3.1-fast-generate-001")
    jobs: list[str] = []
    result = asyncio.run(Dispatcher(pm, provider_settings={"vertex": {}}).generate_clip(
        ClipRequest(provider="vertex", model=model, prompt="A red kite rising over green hills, "
                    "wide shot, morning light", duration_s=4, seed=7, shot_id="live"),
        workdir=tmp_path, report_job=jobs.append,
    ))
    assert jobs == [result.job_id]
    info = probe(result.path)
    assert abs(info.duration_s - 4) < 0.5 and info.width > info.height
