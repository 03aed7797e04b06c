"""Core's conformance suite for clip providers, run against the hf provider and a fake Hub."""

from __future__ import annotations

from typing import Any, ClassVar

import ministudio_hf.plugin
from ministudio.testing.conformance import ClipProviderConformance
from ministudio_hf.testing import FakeInferenceProviders


class TestHFConformance(ClipProviderConformance):
    plugin = ministudio_hf.plugin
    provider = "hf"
    env: ClassVar[dict[str, str]] = {"HF_TOKEN": "hf_conformance_token"}
    transport_kind = "httpx2"

    def respond(self, request: Any) -> Any:
        if not hasattr(self, "_fake"):
            self._fake = FakeInferenceProviders(fal_polls=0)
        return self._fake(request)
