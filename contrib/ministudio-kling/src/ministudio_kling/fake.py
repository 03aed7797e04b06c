"""A fake Kling API for tests and dry runs: the real REST shapes, real MP4s, no network.

``FakeKlingAPI`` answers ``httpx`` requests (``httpx.MockTransport(api)``) or, with
``api.serve()``, real HTTP on 127.0.0.1 so that the ``ministudio`` command can render a whole
film against it (``[providers.kling] base_url = "http://127.0.0.1:PORT"``)::

    python -m ministudio_kling.fake --port 8765 --state-dir /tmp/kling-fake --job-s 2

It checks the JWT like Kling does (HS256 signed with the secret key, ``iss`` = access key,
``exp``/``nbf``) and the body fields, answers Kling's envelope
``{"code", "message", "request_id", "data": {"task_id", "task_status", "task_result"}}``, and
serves each video at ``/files/{task_id}.mp4`` with the requested duration and the aspect
ratio asked for (text-to-video) or of the first frame (image-to-video). A task succeeds
``job_s`` seconds after it was submitted. With ``state_dir`` tasks live in files, so a render
killed in one process re-attaches from another. ``empty_account=True`` answers every submit
like an account with no resource pack left (HTTP 429, code 1102). ``submissions`` counts
accepted (paid) tasks.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["FakeKlingAPI"]

SECRET = "sk-test-0123456789abcdef0123456789abcdef"
MODELS = ("kling-v2-6", "kling-v2-5-turbo", "kling-v2-1-master", "kling-v1-6")


class FakeKlingAPI:
    def __init__(self, *, access_key: str = "ak-test", secret_key: str = SECRET,
                 job_s: float = 0.2, state_dir: Path | None = None,
                 base_url: str = "https://api-singapore.klingai.com",
                 empty_account: bool = False) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        self.job_s = job_s
        self.base_url = base_url
        self.empty_account = empty_account
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.requests: list[Any] = []
        self._tasks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.state_dir is not None:
            (self.state_dir / "tasks").mkdir(parents=True, exist_ok=True)

    # -- state -----------------------------------------------------------------------------

    def _load(self, task_id: str) -> dict[str, Any] | None:
        if self.state_dir is None:
            return self._tasks.get(task_id)
        path = self.state_dir / "tasks" / f"{task_id}.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def _save(self, task: dict[str, Any]) -> None:
        if self.state_dir is None:
            self._tasks[task["task_id"]] = task
            return
        path = self.state_dir / "tasks" / f"{task['task_id']}.json"
        path.with_suffix(".tmp").write_text(json.dumps(task))
        path.with_suffix(".tmp").replace(path)

    @property
    def submissions(self) -> int:
        if self.state_dir is None:
            return len(self._tasks)
        return len(list((self.state_dir / "tasks").glob("*.json")))

    # -- the API ---------------------------------------------------------------------------

    @staticmethod
    def _reply(status: int, code: int, message: str, data: Any = None) -> Any:
        import httpx

        return httpx.Response(status, json={"code": code, "message": message,
                                            "request_id": uuid.uuid4().hex, "data": data})

    def _auth_problem(self, request: Any) -> Any:
        import jwt

        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return self._reply(401, 1001, "Authorization is empty")
        try:
            claims = jwt.decode(header[7:], self.secret_key, algorithms=["HS256"],
                                options={"require": ["iss", "exp", "nbf"]})
        except jwt.ExpiredSignatureError:
            return self._reply(401, 1004, "Authorization has expired")
        except jwt.ImmatureSignatureError:
            return self._reply(401, 1003, "Authorization is not yet valid")
        except jwt.PyJWTError:
            return self._reply(401, 1002, "Authorization is invalid")
        if claims["iss"] != self.access_key:
            return self._reply(401, 1000, "Authentication failed")
        return None

    def __call__(self, request: Any) -> Any:
        import httpx

        with self._lock:
            self.requests.append(request)
            path = request.url.path
            if request.method == "GET" and path.startswith("/files/"):
                return self._file(path.rsplit("/", 1)[-1].removesuffix(".mp4"))
            problem = self._auth_problem(request)
            if problem is not None:
                return problem
            parts = path.strip("/").split("/")
            if parts[:2] == ["v1", "videos"] and len(parts) >= 3 and parts[2] in (
                    "text2video", "image2video"):
                if request.method == "POST" and len(parts) == 3:
                    return self._submit(parts[2], json.loads(request.content or b"{}"))
                if request.method == "GET" and len(parts) == 4:
                    return self._query(parts[2], parts[3])
            return httpx.Response(404, json={"code": 1202, "message": f"no route {path}"})

    def _submit(self, kind: str, body: dict[str, Any]) -> Any:
        if self.empty_account:
            return self._reply(429, 1102, "Account balance not enough")
        bad = []
        if body.get("model_name", "kling-v1") not in (*MODELS, "kling-v1"):
            bad.append("model_name")
        if body.get("duration", "5") not in ("5", "10"):
            bad.append("duration")
        if body.get("mode", "std") not in ("std", "pro"):
            bad.append("mode")
        if kind == "text2video" and not body.get("prompt"):
            bad.append("prompt")
        if kind == "image2video" and not (body.get("image") or body.get("image_tail")):
            bad.append("image")
        if body.get("aspect_ratio", "16:9") not in ("16:9", "9:16", "1:1"):
            bad.append("aspect_ratio")
        if bad:
            return self._reply(400, 1201, "invalid parameters: " + ", ".join(bad))
        if "prohibited" in body.get("prompt", ""):
            return self._reply(400, 1301, "content security policy triggered")
        ratio = body.get("aspect_ratio", "16:9")
        if kind == "image2video":
            ratio = _image_ratio(body.get("image") or body["image_tail"])
        task = {"task_id": str(uuid.uuid4().int)[:18], "kind": kind, "created": time.time(),
                "duration": int(body.get("duration", "5")), "ratio": ratio,
                "fail": "doomed" in body.get("prompt", "")}
        self._save(task)
        return self._reply(200, 0, "SUCCEED", {"task_id": task["task_id"],
                                               "task_status": "submitted"})

    def _query(self, kind: str, task_id: str) -> Any:
        task = self._load(task_id)
        if task is None or task["kind"] != kind:
            return self._reply(404, 1203, f"task {task_id} not found")
        age = time.time() - task["created"]
        data: dict[str, Any] = {"task_id": task_id, "task_status": "processing",
                                "task_status_msg": ""}
        if age < self.job_s / 4:
            data["task_status"] = "submitted"
        elif age >= self.job_s and task["fail"]:
            data.update(task_status="failed", task_status_msg="Failure to pass the risk "
                        "control system")
        elif age >= self.job_s:
            data.update(task_status="succeed", task_result={"videos": [{
                "id": task_id, "url": f"{self.base_url}/files/{task_id}.mp4",
                "duration": str(task["duration"])}]})
        return self._reply(200, 0, "SUCCEED", data)

    def _file(self, task_id: str) -> Any:
        import httpx

        task = self._load(task_id)
        if task is None or time.time() - task["created"] < self.job_s:
            return httpx.Response(404, text="not found")
        return httpx.Response(200, headers={"content-type": "video/mp4"},
                              content=_mp4(task["duration"], task["ratio"]))

    # -- real HTTP -------------------------------------------------------------------------

    def serve(self, port: int = 0) -> Any:
        """Serve this API on 127.0.0.1 in a thread; returns the server (``.server_address``,
        ``.shutdown()``). ``base_url`` becomes the server's own address."""
        from ministudio.testing.serve import serve

        server = serve(self, port)
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        return server


def _image_ratio(data: str) -> str:
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(data))) as img:
        w, h = img.size
    return "16:9" if w > h * 1.2 else "9:16" if h > w * 1.2 else "1:1"


def _mp4(duration_s: float, ratio: str) -> bytes:
    from ministudio.testing.fakes import color_clip_bytes

    return color_clip_bytes(duration_s, ratio=ratio, color=(200, 90, 40))


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="serve a fake Kling API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--job-s", type=float, default=2.0)
    parser.add_argument("--access-key", default="ak-test")
    parser.add_argument("--secret-key", default=SECRET)
    args = parser.parse_args(argv)
    api = FakeKlingAPI(access_key=args.access_key, secret_key=args.secret_key, job_s=args.job_s,
                       state_dir=args.state_dir)
    server = api.serve(args.port)
    print(api.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
