"""Progress events and their two displays.

The engine emits plain dict events (``{"event": "shot", "shot": "s1-01", "state": "generating",
...}``) to a callback. :class:`JsonLines` writes one JSON object per line (``--json``, on
stdout); :class:`LiveDisplay` shows a rich table on stderr with each shot's state, the cost
so far and an ETA. Events (documented in ``docs/render.md``):

``render.start`` (shots, estimated_cost, currency, concurrency) · ``speech`` (shot, state) ·
``shot`` (shot, state: waiting|cached|generating|validating|scoring|regenerating|done|
failed|blocked|gap, attempt, cost, scores, reason) · ``attempt`` (shot, stage, provider,
status, cost, error) · ``assemble`` (state) · ``render.done`` (status, film, cost, wall_s,
provider_calls) · ``render.failed`` (failures).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

__all__ = ["Emit", "JsonLines", "LiveDisplay", "null_emit"]

Emit = Callable[[dict[str, Any]], None]


def null_emit(_event: dict[str, Any]) -> None:
    return None


class JsonLines:
    """``--json``: one JSON event per line, flushed at once."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        line = json.dumps({"t": round(time.time(), 3), **event}, default=str)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


_STYLE = {
    "done": "green", "cached": "cyan", "failed": "bold red", "blocked": "red", "gap": "yellow",
    "generating": "magenta", "regenerating": "magenta", "scoring": "blue", "waiting": "dim",
}


def _score(character: str, value: Any) -> str:
    """``mira=0.81`` for a face score; ``mira n/a`` when the score is not a face identity
    (a look score: no face scorer applied). ``value`` is a number or the full score record."""
    if isinstance(value, dict):
        if value.get("kind", "face") != "face":
            return f"{character} n/a"
        value = value.get("score")
    return f"{character}={float(value):.2f}" if value is not None else f"{character} n/a"


class LiveDisplay:
    """A rich live table on stderr. Use as a context manager around the render."""

    def __init__(self, *, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.shots: dict[str, dict[str, Any]] = {}
        self.cost = 0.0
        self.estimated = None
        self.currency = "USD"
        self.concurrency = 1
        self.started = time.monotonic()
        self.phase = "starting"
        self._durations: list[float] = []
        self._live: Any = None

    def __enter__(self) -> LiveDisplay:
        return self  # the table appears with the first event, so an early error prints alone

    def _start(self) -> None:
        from rich.live import Live

        self._live = Live(self._render(), console=self.console, refresh_per_second=4,
                          transient=False)
        self._live.__enter__()

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(*exc)
            if not self.console.is_terminal:
                self.console.line()  # a file or pipe gets the final table, then a newline

    def __call__(self, event: dict[str, Any]) -> None:
        if self._live is None:
            self._start()
        kind = event.get("event")
        if kind == "render.start":
            self.estimated = event.get("estimated_cost")
            self.currency = event.get("currency", "USD")
            self.concurrency = event.get("concurrency", 1)
            for shot in event.get("shot_ids", []):
                self.shots[shot] = {"state": "waiting"}
        elif kind == "shot":
            row = self.shots.setdefault(event["shot"], {"state": "waiting"})
            if event["state"] == "generating" and "t0" not in row:
                row["t0"] = time.monotonic()
            if event["state"] in ("done", "cached") and "t0" in row:
                self._durations.append(time.monotonic() - row["t0"])
            row.update({k: v for k, v in event.items() if k not in ("event", "shot")})
        elif kind == "attempt" and event.get("cost"):
            self.cost += float(event["cost"])
        elif kind in ("assemble", "speech.phase"):
            self.phase = f"{kind}: {event.get('state')}"
        if self._live is not None:
            self._live.update(self._render())

    def _eta(self) -> str:
        left = sum(1 for r in self.shots.values()
                   if r["state"] not in ("done", "cached", "failed", "blocked", "gap"))
        if not left or not self._durations:
            return "–"
        mean = sum(self._durations) / len(self._durations)
        return f"{mean * left / max(1, self.concurrency):.0f}s"

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        elapsed = time.monotonic() - self.started
        est = f" of ~{float(self.estimated):.2f}" if self.estimated is not None else ""
        # the status line is its own line (a table title would wrap at the table's width)
        status = Text(f"{self.phase} · {elapsed:.0f}s elapsed · ETA {self._eta()} · "
                      f"cost {self.cost:.2f}{est} {self.currency}", overflow="fold")
        table = Table(expand=False)
        for col in ("shot", "state", "attempt", "cost"):
            table.add_column(col, no_wrap=True)
        table.add_column("note", overflow="fold")  # the only column that wraps
        for shot, row in self.shots.items():
            state = row.get("state", "")
            note = row.get("reason") or ""
            if row.get("scores"):
                note = " ".join(_score(k, v) for k, v in row["scores"].items())
            table.add_row(
                shot, f"[{_STYLE.get(state, '')}]{state}[/]" if _STYLE.get(state) else state,
                str(row.get("attempt") or ""),
                f"{float(row['cost']):.2f}" if row.get("cost") else "",
                str(note),
            )
        return Group(status, table)
