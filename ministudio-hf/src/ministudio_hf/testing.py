"""A fake Hugging Face Hub + Inference Providers API for offline tests.

:class:`FakeInferenceProviders` is a request handler for ``httpx2.MockTransport`` (wrap it in
:class:`ministudio.testing.RecordingTransport` and pass ``.httpx2()`` as the transport). It
answers what ``huggingface_hub.InferenceClient`` really sends for the video tasks:

- ``GET https://huggingface.co/api/models/{repo}`` (the provider mapping lookup),
- fal.ai's queue (submit, ``/status``, result), replicate's ``Prefer: wait`` predictions and
  novita's ``/v3/hf/`` endpoint, both routed (``router.huggingface.co/{provider}/...``, with an
  ``hf_`` token) and direct (a provider key),
- the download of the finished video, a real H.264 MP4 from
  :func:`ministudio.testing.fakes.write_color_clip` with the frame count and size the request
  asked for.

``fal_polls`` is how many ``/status`` polls a fal.ai job takes (0: done on submit; each
poll costs huggingface_hub's 0.5 s polling interval). ``fail`` maps a URL substring to an ``(status, json_body, headers)`` answer, to script errors.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ministudio.capabilities import frame_size

from ministudio_hf.models import CATALOG, HFModel

__all__ = ["FakeInferenceProviders", "provider_id"]

VIDEO_HOST = "https://cdn.example-video.test"


def provider_id(repo: str, provider: str, task: str) -> str:
    """The provider-side model id the fake Hub maps ``repo`` to."""
    return f"{provider}-models/{repo.split('/')[-1].lower()}-{task}"


class FakeInferenceProviders:
    def __init__(
        self,
        models: tuple[HFModel, ...] = CATALOG,
        *,
        fail: Mapping[str, tuple[int, Any, Mapping[str, str]]] | None = None,
        video_bytes: bytes | None = None,
        fal_polls: int = 1,
    ) -> None:
        self.models = models
        self.fail = dict(fail or {})
        self.video_bytes = video_bytes
        self.fal_polls = fal_polls
        self._polls: dict[str, int] = {}
        self._jobs: dict[str, dict[str, Any]] = {}
        self._videos: dict[str, bytes] = {}
        self.submissions: list[dict[str, Any]] = []
        self._dir = Path(tempfile.mkdtemp(prefix="fake-hf-"))

    # -- data ------------------------------------------------------------------------------

    def _routes(self) -> list[tuple[HFModel, str, str, str]]:
        out = []
        for m in self.models:
            for task, route in (("text-to-video", m.text_to_video), ("image-to-video", m.image_to_video)):
                if route is not None:
                    out.append((m, route.repo, route.provider, task))
        return out

    def _by_provider_id(self, pid: str) -> tuple[HFModel, str] | None:
        for m, repo, provider, task in self._routes():
            if provider_id(repo, provider, task) == pid:
                return m, task
        return None

    def _clip(self, model: HFModel, body: Mapping[str, Any]) -> bytes:
        if self.video_bytes is not None:
            return self.video_bytes
        from ministudio.testing.fakes import write_color_clip

        inputs = body.get("input", body)  # replicate nests the parameters under "input"
        frames = inputs.get("num_frames")
        frames = int(frames) if frames is not None else model.allowed_frames()[0]
        aspect = inputs.get("aspect_ratio", model.aspect_ratios[0])
        resolution = inputs.get("resolution", model.resolutions[0])
        w, h = frame_size(aspect, resolution)
        path = self._dir / f"clip-{len(self._videos)}.mp4"
        write_color_clip(path, duration_s=frames / model.fps, width=w // 4 // 2 * 2,
                         height=h // 4 // 2 * 2, fps=model.fps)
        return path.read_bytes()

    # -- the handler -----------------------------------------------------------------------

    def __call__(self, request: Any) -> Any:
        import httpx2

        url = str(request.url)
        for needle, (status, body, headers) in self.fail.items():
            if needle in url:
                return httpx2.Response(status, json=body, headers=dict(headers))
        parsed = urlparse(url)
        path = parsed.path

        if parsed.netloc == "huggingface.co" and path.startswith("/api/models/"):
            repo = path[len("/api/models/"):]
            mapping = {
                provider: {"providerId": provider_id(r, provider, task), "status": "live", "task": task}
                for _m, r, provider, task in self._routes()
                if r == repo
            }
            if not mapping:
                return httpx2.Response(404, json={"error": "Repository not found"},
                                       headers={"X-Error-Code": "RepoNotFound"})
            return httpx2.Response(200, json={"_id": "x", "id": repo, "inferenceProviderMapping": mapping})

        if url.startswith(VIDEO_HOST):
            return httpx2.Response(200, content=self._videos[path.rsplit("/", 1)[-1]],
                                   headers={"content-type": "video/mp4"})

        # strip the router prefix: router.huggingface.co/{provider}/... == the provider's own path
        if parsed.netloc == "router.huggingface.co":
            provider, _, rest = path.lstrip("/").partition("/")
            path = "/" + rest
        else:
            provider = {"queue.fal.run": "fal-ai", "api.replicate.com": "replicate",
                        "api.novita.ai": "novita"}.get(parsed.netloc, parsed.netloc)

        if request.method == "POST":
            body = json.loads(request.content or b"{}")
            if provider == "fal-ai":
                pid = path.lstrip("/")
            elif provider == "replicate":
                pid = path.removeprefix("/v1/models/").removesuffix("/predictions")
            elif provider == "novita":
                pid = path.removeprefix("/v3/hf/")
            else:
                return httpx2.Response(404, json={"error": f"fake has no provider {provider}"})
            found = self._by_provider_id(pid)
            if found is None:
                return httpx2.Response(404, json={"error": f"unknown model {pid}"})
            model, task = found
            key = f"v{len(self._videos)}.mp4"
            self._videos[key] = self._clip(model, body)
            video_url = f"{VIDEO_HOST}/files/{key}"
            self.submissions.append({"provider": provider, "provider_id": pid, "task": task,
                                     "body": body, "url": url})
            if provider == "fal-ai":
                rid = f"req-{len(self._jobs) + 1}"
                self._jobs[rid] = {"video": {"url": video_url}}
                return httpx2.Response(200, json={
                    "request_id": rid, "status": "IN_QUEUE" if self.fal_polls else "COMPLETED",
                    "response_url": f"https://queue.fal.run/{pid}/requests/{rid}",
                })
            if provider == "replicate":
                return httpx2.Response(201, json={"id": "p1", "status": "succeeded", "output": video_url})
            return httpx2.Response(200, json={"video": {"video_url": video_url}})

        if provider == "fal-ai" and "/requests/" in path:
            rid = path.split("/requests/", 1)[1].split("/")[0]
            if rid not in self._jobs:
                return httpx2.Response(404, json={"detail": "request not found"})
            if path.endswith("/status"):
                self._polls[rid] = self._polls.get(rid, 0) + 1
                done = self._polls[rid] >= self.fal_polls
                return httpx2.Response(200, json={"status": "COMPLETED" if done else "IN_PROGRESS"})
            return httpx2.Response(200, json=self._jobs[rid])
        return httpx2.Response(404, json={"error": f"fake has no route for {request.method} {url}"})
