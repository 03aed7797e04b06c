"""Core's conformance suite for the three diffusers providers, on tiny local weights."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

import ministudio_local.diffusers.plugin as plugin  # noqa: E402
from ministudio.testing.conformance import ClipProviderConformance, _png  # noqa: E402
from ministudio_local.diffusers.catalog import entry_for  # noqa: E402

FAST = {"steps": 2, "device": "cpu", "preset": "ultrafast"}


class _Local(ClipProviderConformance):
    plugin = plugin
    transport_kind = None
    #: model id -> tiny weights name (see conftest.BUILDERS)
    weights: dict[str, str] = {}
    size = "64x32"

    @pytest.fixture(autouse=True)
    def _tiny_settings(self, tiny_weights, monkeypatch):
        settings = {**FAST, "size": self.size,
                    "weights": {m: str(tiny_weights[w]) for m, w in self.weights.items()}}
        monkeypatch.setattr(type(self), "settings", settings)

    def valid_request(self, model, tmp_path: Path):
        request = super().valid_request(model, tmp_path)
        if entry_for(self.provider, model.id).needs_image:
            request = attrs.evolve(request, first_frame=_png(tmp_path / "first.png"))
        if entry_for(self.provider, model.id).needs_both_frames:
            request = attrs.evolve(request, last_frame=_png(tmp_path / "last.png", (48, 48)))
        return request


class TestWanConformance(_Local):
    provider = "wan"
    weights = {
        "wan2.1-t2v-1.3b": "wan-t2v", "wan2.1-t2v-14b": "wan-t2v", "wan2.2-ti2v-5b": "wan-ti2v",
        "wan2.1-i2v-14b-480p": "wan-i2v", "wan2.1-i2v-14b-720p": "wan-i2v",
        "wan2.1-flf2v-14b-720p": "wan-flf2v",
    }


class TestLtxConformance(_Local):
    provider = "ltx-video"
    weights = {"ltx-video-0.9.5": "ltx"}


class TestCogVideoXConformance(_Local):
    provider = "cogvideox"
    size = "16x16"
    weights = {"cogvideox-5b-i2v": "cogvideox-i2v", "cogvideox1.5-5b-i2v": "cogvideox-i2v"}
