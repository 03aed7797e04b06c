"""Core's conformance suite, run against the real google-genai client and the fake Vertex."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import ministudio_vertex.plugin
from ministudio.testing.conformance import ClipProviderConformance
from ministudio_vertex.testing import ENV, SETTINGS, FakeVertex


class TestVertexConformance(ClipProviderConformance):
    plugin = ministudio_vertex.plugin
    provider = "vertex"
    env = ENV
    settings = SETTINGS
    transport_kind = "httpx"

    _fake: FakeVertex | None = None

    def respond(self, request: Any) -> Any:
        if self._fake is None:
            self._fake = FakeVertex(Path(tempfile.mkdtemp(prefix="vertex-conformance-")))
        return self._fake.handle(request)

    def is_submit(self, request: Any) -> bool:
        # polls are POSTs too (:fetchPredictOperation); only :predictLongRunning pays
        return request.url.path.endswith(":predictLongRunning")


class TestVertexGCSConformance(TestVertexConformance):
    """The same suite with outputs written to Cloud Storage, so videos come as downloads."""

    settings = {**SETTINGS, "output_gcs_uri": "gs://conformance-bucket/renders"}

    def respond(self, request: Any) -> Any:
        if self._fake is None:
            self._fake = FakeVertex(Path(tempfile.mkdtemp(prefix="vertex-conformance-")),
                                    gcs=True)
        return self._fake.handle(request)
