"""A fake Vertex AI + Cloud Storage for tests, behind an httpx MockTransport.

It speaks the REST shapes google-genai uses for Veo: ``:predictLongRunning`` returns an
operation name, ``:fetchPredictOperation`` answers not-done ``polls`` times and then done,
with the videos inline (``bytesBase64Encoded``) or as ``gcsUri`` objects that the fake GCS
JSON API serves. The videos are real H.264 MP4s of the requested duration and aspect ratio.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.plugins import PluginManager
from ministudio.testing import RecordingTransport
from ministudio.testing.fakes import write_color_clip

__all__ = ["ENV", "LOCATION", "PROJECT", "SETTINGS", "TOKEN", "FakeVertex", "dispatcher", "mp4_bytes"]

TOKEN = "test-access-token"
PROJECT = "demo-project"
LOCATION = "us-central1"
HOST = f"https://{LOCATION}-aiplatform.googleapis.com"
ENV = {"VERTEX_ACCESS_TOKEN": TOKEN}
SETTINGS = {"project": PROJECT, "location": LOCATION, "poll_initial_s": 0.0, "poll_max_s": 0.0,
            "fetch_backoff_s": 0.0}

_CLIPS: dict[tuple[int, str], bytes] = {}


def mp4_bytes(tmp_dir: Path, duration: int, aspect: str = "16:9") -> bytes:
    """A real small MP4 (cached per duration and aspect ratio)."""
    key = (duration, aspect)
    if key not in _CLIPS:
        w, h = (128, 72) if aspect == "16:9" else (72, 128)
        path = tmp_dir / f"veo-{duration}-{aspect.replace(':', 'x')}.mp4"
        write_color_clip(path, duration_s=duration, width=w, height=h, fps=24, audio_hz=440.0)
        _CLIPS[key] = path.read_bytes()
    return _CLIPS[key]


class FakeVertex:
    """State of the fake service; ``transport`` records every request it gets."""

    def __init__(self, tmp_dir: Path, *, polls: int = 2, gcs: bool = False) -> None:
        self.tmp_dir = tmp_dir
        self.polls = polls
        self.gcs = gcs
        self.submitted: list[dict[str, Any]] = []
        self.fetches: dict[str, int] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.objects: dict[str, bytes] = {}
        #: set to override the final operation body (``done`` is added)
        self.final: dict[str, Any] | None = None
        #: {"submit"|"fetch"|"gcs": (status, body)} to fail one kind of call
        self.fail: dict[str, tuple[int, dict[str, Any]]] = {}
        self.transport = RecordingTransport(self.handle)

    # -- helpers for tests -------------------------------------------------------------
    def calls(self, suffix: str) -> list[httpx.Request]:
        return [r for r in self.transport.requests if r.url.path.endswith(suffix)]

    def body(self, index: int = 0) -> dict[str, Any]:
        return self.submitted[index]

    # -- the fake API ------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        path = request.url.path
        if request.url.host == "storage.googleapis.com":
            return self._gcs(request)
        m = re.fullmatch(
            r"/v1beta1/projects/([^/]+)/locations/([^/]+)/publishers/google/models/([^/:]+):(\w+)",
            path,
        )
        assert m, f"unexpected URL {request.url}"
        project, location, model, verb = m.groups()
        body = json.loads(request.content)
        if verb == "predictLongRunning":
            if "submit" in self.fail:
                status, err = self.fail["submit"]
                return httpx.Response(status, json=err)
            self.submitted.append(body)
            name = (f"projects/{project}/locations/{location}/publishers/google/models/{model}"
                    f"/operations/op-{len(self.submitted)}")
            self.jobs[name] = body
            return httpx.Response(200, json={"name": name})
        assert verb == "fetchPredictOperation", verb
        name = body["operationName"]
        assert name.startswith(f"projects/{project}/locations/{location}/publishers/google/models/{model}/")
        self.fetches[name] = self.fetches.get(name, 0) + 1
        if "fetch" in self.fail:
            status, err = self.fail.pop("fetch")
            return httpx.Response(status, json=err)
        if self.fetches[name] <= self.polls:
            return httpx.Response(200, json={"name": name, "done": False})
        return httpx.Response(200, json={"name": name, "done": True, **self._result(name)})

    def _result(self, name: str) -> dict[str, Any]:
        if self.final is not None:
            return self.final
        job = self.jobs.get(name) or {"parameters": {"durationSeconds": 8, "sampleCount": 1}}
        params = job["parameters"]
        data = mp4_bytes(self.tmp_dir, int(params.get("durationSeconds", 8)),
                         params.get("aspectRatio", "16:9"))
        videos = []
        for i in range(int(params.get("sampleCount", 1))):
            if self.gcs:
                uri = f"{params['storageUri']}sample_{i}.mp4"
                self.objects[uri] = data
                videos.append({"gcsUri": uri, "mimeType": "video/mp4"})
            else:
                videos.append({"bytesBase64Encoded": base64.b64encode(data).decode(),
                               "mimeType": "video/mp4"})
        return {"response": {"@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                             "videos": videos}}

    def _gcs(self, request: httpx.Request) -> httpx.Response:
        if "gcs" in self.fail:
            status, err = self.fail["gcs"]
            return httpx.Response(status, json=err)
        m = re.fullmatch(r"/storage/v1/b/([^/]+)/o/([^/]+)", request.url.raw_path.decode().split("?")[0])
        assert m and request.url.params["alt"] == "media", str(request.url)
        from urllib.parse import unquote

        uri = f"gs://{unquote(m.group(1))}/{unquote(m.group(2))}"
        if uri not in self.objects:
            return httpx.Response(404, json={"error": {"code": 404, "message": "No such object"}})
        return httpx.Response(200, content=self.objects[uri])


def dispatcher(fake: FakeVertex, *, settings: dict[str, Any] | None = None,
               env: dict[str, str] | None = None) -> Dispatcher:
    import ministudio_vertex.plugin

    pm = PluginManager(load_entrypoints=False, env={})
    record = pm.register(ministudio_vertex.plugin, "vertex")
    assert record.status == "active", record.reason
    return Dispatcher(
        pm,
        provider_settings={"vertex": {**SETTINGS, **(settings or {})}},
        env=ENV if env is None else env,
        transport=fake.transport.httpx(),
        retry=RetryPolicy(attempts=1),
    )
