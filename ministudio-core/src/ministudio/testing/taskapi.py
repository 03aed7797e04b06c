"""A fake async-task video API (the Kling / Luma / Runway shape) to test job providers against.

It answers ``httpx`` requests through a mock transport, never the network::

    POST /v1/tasks                {"prompt", "duration", "aspect_ratio", "image"?}  -> {"id", "status"}
    GET  /v1/tasks/{id}           -> {"id", "status": queued|running|succeeded|failed,
                                      "video_url"?, "error"? {"code", "message"}}
    GET  /v1/files/{id}.mp4       -> the video (a real H.264 MP4)

Every request needs ``Authorization: Bearer <key>``. A job succeeds ``job_s`` seconds of wall
time after it was submitted, so a slow job really is slow. With ``state_dir`` the jobs live
in files, so a provider killed in one process can re-attach from another. Failure injection:
``poll_errors`` (answer the first N polls of every job with ``error_status``),
``html_downloads`` (answer the first N downloads of every job with an HTML error page),
``fail_jobs`` (prompts containing this text end in a failed job). ``submissions`` counts paid
jobs (accepted submits); ``requests`` lists every request seen.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["FakeTaskAPI"]


class FakeTaskAPI:
    base_url = "https://tasks.example.test"

    def __init__(self, *, key: str = "test-key", job_s: float = 0.2,
                 state_dir: Path | None = None, poll_errors: int = 0, error_status: int = 503,
                 html_downloads: int = 0, fail_jobs: str | None = None,
                 size: tuple[int, int] = (320, 180)) -> None:
        self.key = key
        self.job_s = job_s
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.poll_errors = poll_errors
        self.error_status = error_status
        self.html_downloads = html_downloads
        self.fail_jobs = fail_jobs
        self.size = size
        self.requests: list[Any] = []
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.state_dir is not None:
            (self.state_dir / "jobs").mkdir(parents=True, exist_ok=True)

    # -- state ---------------------------------------------------------------------------

    def _load(self, job_id: str) -> dict[str, Any] | None:
        if self.state_dir is None:
            return self._jobs.get(job_id)
        path = self.state_dir / "jobs" / f"{job_id}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def _save(self, job: dict[str, Any]) -> None:
        if self.state_dir is None:
            self._jobs[job["id"]] = job
            return
        path = self.state_dir / "jobs" / f"{job['id']}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(job))
        tmp.replace(path)

    @property
    def submissions(self) -> int:
        """Jobs accepted (paid for), across processes when ``state_dir`` is set."""
        if self.state_dir is None:
            return len(self._jobs)
        return len(list((self.state_dir / "jobs").glob("*.json")))

    def transport(self) -> Any:
        import httpx

        return httpx.MockTransport(self)

    # -- the API -------------------------------------------------------------------------

    def __call__(self, request: Any) -> Any:
        import httpx

        with self._lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {self.key}":
                return httpx.Response(401, json={"error": {"code": "unauthorized",
                                                           "message": "bad or missing key"}})
            path = request.url.path
            if request.method == "POST" and path == "/v1/tasks":
                return self._submit(request)
            if request.method == "GET" and path.startswith("/v1/tasks/"):
                return self._status(path.rsplit("/", 1)[-1])
            if request.method == "GET" and path.startswith("/v1/files/"):
                return self._file(path.rsplit("/", 1)[-1].removesuffix(".mp4"))
            return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})

    def _submit(self, request: Any) -> Any:
        import httpx

        body = json.loads(request.content or b"{}")
        if not body.get("prompt"):
            return httpx.Response(400, json={"error": {"code": "invalid", "message": "prompt"}})
        job = {"id": "task-" + uuid.uuid4().hex[:12], "created": time.time(),
               "prompt": body["prompt"], "duration": float(body.get("duration", 1)),
               "aspect_ratio": body.get("aspect_ratio", "16:9"),
               "image": bool(body.get("image")), "polls": 0, "downloads": 0}
        self._save(job)
        return httpx.Response(201, json={"id": job["id"], "status": "queued"})

    def _status(self, job_id: str) -> Any:
        import httpx

        job = self._load(job_id)
        if job is None:
            return httpx.Response(404, json={"error": {"code": "not_found",
                                                       "message": f"no task {job_id}"}})
        job["polls"] += 1
        self._save(job)
        if job["polls"] <= self.poll_errors:
            return httpx.Response(self.error_status,
                                  json={"error": {"code": "unavailable", "message": "try later"}})
        age = time.time() - job["created"]
        if age < self.job_s:
            state = "queued" if age < self.job_s / 4 else "running"
            return httpx.Response(200, json={"id": job_id, "status": state,
                                             "progress": round(age / self.job_s, 2)})
        if self.fail_jobs and self.fail_jobs in job["prompt"]:
            return httpx.Response(200, json={"id": job_id, "status": "failed", "error": {
                "code": "generation_failed", "message": "the model could not render this"}})
        return httpx.Response(200, json={"id": job_id, "status": "succeeded",
                                         "video_url": f"{self.base_url}/v1/files/{job_id}.mp4"})

    def _file(self, job_id: str) -> Any:
        import httpx

        from ministudio.capabilities import frame_size
        from ministudio.testing.fakes import color_clip_bytes

        job = self._load(job_id)
        if job is None or time.time() - job["created"] < self.job_s:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": job_id}})
        job["downloads"] += 1
        self._save(job)
        if job["downloads"] <= self.html_downloads:
            return httpx.Response(200, headers={"content-type": "text/html"},
                                  content=b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        w, h = frame_size(job["aspect_ratio"], "360p")
        data = color_clip_bytes(job["duration"], width=w // 4 * 2, height=h // 4 * 2,
                                color=(30, 120, 200))
        return httpx.Response(200, headers={"content-type": "video/mp4"}, content=data)
