"""Against the real Hugging Face router. Costs money: runs only with HF_TOKEN set."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import ministudio_hf.plugin as plugin
import pytest
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.plugins import PluginManager
from ministudio.requests import ClipRequest

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("HF_TOKEN"), reason="needs HF_TOKEN (a paid call)"),
]


def test_live_text_to_video(tmp_path: Path) -> None:
    pm = PluginManager(load_entrypoints=False, env=dict(os.environ))
    pm.register(plugin, "hf")
    dispatcher = Dispatcher(pm, env=dict(os.environ), retry=RetryPolicy(attempts=2))
    model = os.environ.get("MINISTUDIO_HF_LIVE_MODEL", "ltx-video")
    spec_model = pm.get_provider("hf").clip_model(model)
    duration = spec_model.durations[0] if spec_model.durations else spec_model.min_duration_s
    request = ClipRequest(provider="hf", model=model, prompt="A paper boat drifting on a pond",
                          duration_s=duration, aspect_ratio=spec_model.aspect_ratios[0],
                          resolution=spec_model.resolutions[0], fps=spec_model.fps[0], seed=1)
    result = asyncio.run(dispatcher.generate_clip(request, workdir=tmp_path))
    assert result.path.stat().st_size > 10_000
    assert result.width > 0 and result.height > 0
    assert abs(result.duration_s - duration) < 1.0
