"""A fake Luma Dream Machine API for tests and dry runs: the real REST shapes, real MP4s.

``FakeLumaAPI`` answers ``httpx`` requests (``httpx.MockTransport(api)``) or, with
``api.serve()``, real HTTP on 127.0.0.1 so that the ``ministudio`` command can render a whole
film against it (``[providers.luma] base_url = "http://127.0.0.1:PORT/dream-machine/v1"``)::

    python -m ministudio_luma.fake --port 8766 --state-dir /tmp/luma-fake --job-s 2

Routes: ``POST /dream-machine/v1/generations`` (Bearer key; checks ``model``, ``duration``
``"5s"``/``"9s"``, ``resolution``, ``aspect_ratio``, keyframe shapes) answers a Generation
``{"id", "state": "queued", ...}``; ``GET /dream-machine/v1/generations/{id}`` moves through
``queued`` → ``dreaming`` → ``completed`` (``assets.video``) or ``failed``
(``failure_reason``) ``job_s`` seconds after the submit; ``GET /files/{id}.mp4`` is the video
(requested duration and aspect ratio). It also plays the frame host: ``PUT /frames/{name}``
(under ``frames_url``) stores an image that keyframe URLs may point at (a keyframe URL it does not hold is a 400,
as Luma answers an image it cannot fetch). Prompts containing "prohibited" are refused with
moderation's 400; "doomed" ones end ``failed``. ``no_credits=True`` answers every submit
like an empty account. With ``state_dir`` generations live in files (a killed render
re-attaches from another process); ``submissions`` counts accepted (paid) generations.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["FakeLumaAPI"]

PREFIX = "/dream-machine/v1"
MODELS = ("ray-2", "ray-flash-2", "ray-1-6")
RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")


class FakeLumaAPI:
    def __init__(self, *, key: str = "luma-test-key", job_s: float = 0.2,
                 state_dir: Path | None = None, base_url: str = "https://api.lumalabs.ai",
                 frames_url: str = "https://frames.example.test",
                 no_credits: bool = False) -> None:
        self.key, self.job_s, self.base_url = key, job_s, base_url
        self.frames_url = frames_url
        self.no_credits = no_credits
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.requests: list[Any] = []
        self._gens: dict[str, dict[str, Any]] = {}
        self.frames: dict[str, bytes] = {}
        self._lock = threading.Lock()
        if self.state_dir is not None:
            (self.state_dir / "generations").mkdir(parents=True, exist_ok=True)

    def _load(self, gen_id: str) -> dict[str, Any] | None:
        if self.state_dir is None:
            return self._gens.get(gen_id)
        path = self.state_dir / "generations" / f"{gen_id}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def _save(self, gen: dict[str, Any]) -> None:
        if self.state_dir is None:
            self._gens[gen["id"]] = gen
            return
        path = self.state_dir / "generations" / f"{gen['id']}.json"
        path.with_suffix(".tmp").write_text(json.dumps(gen))
        path.with_suffix(".tmp").replace(path)

    @property
    def submissions(self) -> int:
        if self.state_dir is None:
            return len(self._gens)
        return len(list((self.state_dir / "generations").glob("*.json")))

    def _frame(self, name: str) -> bytes | None:
        if self.state_dir is None:
            return self.frames.get(name)
        path = self.state_dir / "frames" / name
        return path.read_bytes() if path.is_file() else None

    # -- the API ---------------------------------------------------------------------------

    def __call__(self, request: Any) -> Any:
        import httpx

        with self._lock:
            self.requests.append(request)
            path = request.url.path
            if request.method == "PUT" and str(request.url).startswith(self.frames_url):
                name = path.rsplit("/", 1)[-1]
                if self.state_dir is None:
                    self.frames[name] = bytes(request.content)
                else:
                    (self.state_dir / "frames").mkdir(exist_ok=True)
                    (self.state_dir / "frames" / name).write_bytes(bytes(request.content))
                return httpx.Response(201)
            if path.startswith("/files/") and request.method == "GET":
                return self._file(path.rsplit("/", 1)[-1].removesuffix(".mp4"))
            if request.headers.get("authorization") != f"Bearer {self.key}":
                return httpx.Response(401, json={"detail": "Invalid API key provided"})
            if request.method == "POST" and path == f"{PREFIX}/generations":
                return self._submit(json.loads(request.content or b"{}"))
            if request.method == "GET" and path.startswith(f"{PREFIX}/generations/"):
                return self._get(path.rsplit("/", 1)[-1])
            return httpx.Response(404, json={"detail": "Not Found"})

    def _submit(self, body: dict[str, Any]) -> Any:
        import httpx

        if self.no_credits:
            return httpx.Response(400, json={"detail": "Insufficient credits"})
        bad = [k for k, ok in (
            ("model", body.get("model", "ray-2") in MODELS),
            ("duration", body.get("duration", "5s") in ("5s", "9s")),
            ("resolution", body.get("resolution", "720p") in ("540p", "720p", "1080p", "4k")),
            ("aspect_ratio", body.get("aspect_ratio", "16:9") in RATIOS),
            ("generation_type", body.get("generation_type", "video") == "video"),
            ("prompt", bool(body.get("prompt")))) if not ok]
        for key, frame in (body.get("keyframes") or {}).items():
            if key not in ("frame0", "frame1") or frame.get("type") not in ("image", "generation"):
                bad.append(f"keyframes.{key}")
            elif frame["type"] == "image" and (
                    not frame.get("url", "").startswith(self.frames_url)
                    or self._frame(frame["url"].rsplit("/", 1)[-1]) is None):
                bad.append(f"keyframes.{key}.url (could not fetch the image)")
        if bad:
            return httpx.Response(400, json={"detail": "Invalid request: " + ", ".join(bad)})
        if "prohibited" in body["prompt"]:
            return httpx.Response(400, json={"detail": "Prompt not allowed because advanced "
                                             "moderation failed"})
        gen = {"id": str(uuid.uuid4()), "created": time.time(), "request": body,
               "fail": "doomed" in body["prompt"]}
        self._save(gen)
        return httpx.Response(201, json=self._view(gen, "queued"))

    def _view(self, gen: dict[str, Any], state: str) -> dict[str, Any]:
        out = {"id": gen["id"], "generation_type": "video", "state": state,
               "failure_reason": None, "assets": None, "model": gen["request"].get("model"),
               "request": gen["request"],
               "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(gen["created"]))}
        if state == "completed":
            out["assets"] = {"video": f"{self.base_url}/files/{gen['id']}.mp4"}
        if state == "failed":
            out["failure_reason"] = "The generation failed: internal error"
        return out

    def _get(self, gen_id: str) -> Any:
        import httpx

        gen = self._load(gen_id)
        if gen is None:
            return httpx.Response(404, json={"detail": "Generation not found"})
        age = time.time() - gen["created"]
        state = ("queued" if age < self.job_s / 4 else "dreaming" if age < self.job_s
                 else "failed" if gen["fail"] else "completed")
        return httpx.Response(200, json=self._view(gen, state))

    def _file(self, gen_id: str) -> Any:
        import httpx

        gen = self._load(gen_id)
        if gen is None or time.time() - gen["created"] < self.job_s:
            return httpx.Response(404, text="not found")
        seconds = float(gen["request"].get("duration", "5s").removesuffix("s"))
        return httpx.Response(200, headers={"content-type": "video/mp4"},
                              content=_mp4(seconds, gen["request"].get("aspect_ratio", "16:9")))

    def serve(self, port: int = 0) -> Any:
        """Serve this API (and the frame host) on 127.0.0.1 in a thread; returns the server.
        ``base_url`` and ``frames_url`` become the server's own address."""
        from ministudio.testing.serve import serve

        server = serve(self, port)
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self.frames_url = f"{self.base_url}/frames"
        return server


def _mp4(duration_s: float, ratio: str) -> bytes:
    from ministudio.testing.fakes import color_clip_bytes

    return color_clip_bytes(duration_s, ratio=ratio, color=(90, 40, 200))


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="serve a fake Luma API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--job-s", type=float, default=2.0)
    parser.add_argument("--key", default="luma-test-key")
    args = parser.parse_args(argv)
    api = FakeLumaAPI(key=args.key, job_s=args.job_s, state_dir=args.state_dir)
    server = api.serve(args.port)
    print(api.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
