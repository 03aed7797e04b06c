"""Fixtures of the cross-package tests: a real ``ministudio studio`` on 127.0.0.1 (a free
port) with its events, ``ministudio init``'s two-shot offline film, and Debian's headless
Chromium driven by Playwright for the browser tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]


class StudioServer:
    """A running studio: ``url``, ``token``, ``client`` (httpx, authorised) and ``stop()``."""

    def __init__(self, root: Path, *args: str, env: dict[str, str] | None = None) -> None:
        full_env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml"),
                    **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ministudio", "studio", str(root), "--port", "0", "--json",
             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"the studio did not start: {err[-3000:]}")
        info = json.loads(line)
        self.url: str = info["url"].rstrip("/")
        self.token: str = info["token"]
        self.open_url: str = info["open"]
        self.client = httpx.Client(base_url=self.url, timeout=120,
                                   headers={"Authorization": f"Bearer {self.token}"})

    def events(self, run_id: str, *, until: Callable[[dict[str, Any]], bool] | None = None
               ) -> Iterator[dict[str, Any]]:
        """The render's events from its SSE stream (``end`` last), stopping early when
        ``until(event)`` is true."""
        with self.client.stream("GET", f"/api/renders/{run_id}/events") as res:
            assert res.status_code == 200, res.read()
            assert res.headers["content-type"].startswith("text/event-stream")
            kind = "message"
            for line in res.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    event = json.loads(line[6:])
                    if kind == "end":
                        event = {**event, "event": "end"}
                    yield event
                    if kind == "end" or (until is not None and until(event)):
                        return
                    kind = "message"

    def wait(self, run_id: str) -> dict[str, Any]:
        """Follow a render to its end; its final status."""
        for _ in self.events(run_id):
            pass
        return self.client.get(f"/api/renders/{run_id}").json()  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def _init_film(folder: Path) -> Path:
    """``ministudio init``'s two-shot offline film in ``folder``."""
    env = {**os.environ, "MINISTUDIO_CONFIG": str(REPO / "no-such-config.toml")}
    subprocess.run([sys.executable, "-m", "ministudio", "init", str(folder)], check=True,
                   capture_output=True, env=env, timeout=60)
    return folder / "film.yaml"


@pytest.fixture()
def studio_server() -> Iterator[Callable[..., StudioServer]]:
    """``start(root, *args)`` -> a running :class:`StudioServer`, stopped after the test."""
    started: list[StudioServer] = []

    def start(root: Path, *args: str, **kwargs: Any) -> StudioServer:
        server = StudioServer(root, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def init_film() -> Callable[[Path], Path]:
    """``init_film(folder)`` -> ``folder/film.yaml``, the two-shot offline film."""
    return _init_film


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture()
def chromium() -> Callable[[Any], Any]:
    """``launch(pw)``: Debian's headless chromium from a Playwright instance (never a
    downloaded browser). Skips where chromium or playwright is missing, fails there in CI."""
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if in_ci:
            pytest.fail("playwright is not installed (requirements-dev.txt)")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if in_ci:
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")

    def launch(pw: Any) -> Any:
        return pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                  headless=True)

    return launch
