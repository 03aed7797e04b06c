"""Renders started from the studio: each one is a ``ministudio render FILM --json`` process.

Running the command (not the engine in the server's own loop) keeps the server responsive and
each render isolated: its events are exactly those of ``render --json``, cancelling terminates
its process group, a crash takes only that render down, and a render that died at any point is
resumed by the next one through the project's ledger, exactly like from the command line.

One render per project (film folder) at a time: a second is refused with
:class:`RenderBusy` (the studio's own renders are checked first, then the project's OS lock,
so a render started from a terminal counts too). Several projects render at once up to
``studio.max_renders`` (setting, default 2); renders beyond that wait as ``queued``.

A batch (:mod:`ministudio.studio.batches`) is a :class:`Run` too: one ``ministudio batch
--json`` process that holds every project it names and ``slots`` of the bound.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import secrets
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import MinistudioError
from ministudio.log import get_logger

__all__ = ["ACTIVE", "Run", "RunManager", "RenderBusy", "project_lock_holder"]

log = get_logger(__name__)

#: states of a run that still holds its project
ACTIVE = ("queued", "running")
#: how long a cancelled render gets between SIGTERM and SIGKILL
CANCEL_GRACE_S = 5.0
_FINISHED = ("done", "cached", "failed", "blocked", "gap")


class RenderBusy(MinistudioError):
    """The project already has a render running (409)."""


def project_lock_holder(project: Path) -> str | None:
    """A note on whoever holds the project's render lock (any process), or None when free."""
    from filelock import FileLock, Timeout

    state = project / ".ministudio"
    if not (state / "render.lock").exists():
        return None
    lock = FileLock(str(state / "render.lock"), is_singleton=False, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        try:
            data = json.loads((state / "render.lock.json").read_text())
            return f"pid {data.get('pid')}"
        except (OSError, ValueError):
            return "another process"
    except OSError:
        return None
    lock.release()
    return None


@attrs.define(eq=False)
class Run:
    """One render: its command, its state and every event it printed."""

    id: str
    film: Path
    rel: str
    args: list[str]
    force: tuple[str, ...] = ()
    state: str = "queued"
    created: float = attrs.field(factory=time.time)
    started: float | None = None
    finished: float | None = None
    returncode: int | None = None
    error: str | None = None
    pid: int | None = None
    events: list[dict[str, Any]] = attrs.field(factory=list)
    cancel_requested: bool = False
    stderr: collections.deque[str] = attrs.field(factory=lambda: collections.deque(maxlen=40))
    changed: asyncio.Condition = attrs.field(factory=asyncio.Condition)
    proc: Any = None
    #: how many of the studio's render slots it takes while it runs
    slots: int = 1
    kind = "render"

    @property
    def project(self) -> Path:
        return self.film.parent

    @property
    def cwd(self) -> Path:
        """Where its process runs."""
        return self.project

    def holds(self, project: Path) -> bool:
        """True when this run renders ``project`` (one run per project at a time)."""
        return self.project == project

    def succeeded(self) -> bool:
        """Its process ended well (called once it has exited)."""
        return self.returncode == 0 and any(e.get("event") == "render.done" for e in self.events)

    def failure_note(self) -> str | None:
        """Why it failed, from its own events (None: the manager reads its stderr)."""
        return None

    def summary(self) -> dict[str, Any]:
        """Status as the API shows it: state, per-shot progress, cost so far, ETA."""
        shots: dict[str, dict[str, Any]] = {}
        cost = 0.0
        estimated = currency = None
        phase = "starting"
        done_times: list[float] = []
        concurrency = 1
        result: dict[str, Any] | None = None
        for ev in self.events:
            kind = ev.get("event")
            if kind == "render.start":
                estimated, currency = ev.get("estimated_cost"), ev.get("currency")
                concurrency = int(ev.get("concurrency") or 1)
                for sid in ev.get("shot_ids", []):
                    shots.setdefault(sid, {"state": "waiting"})
                phase = "shots"
            elif kind == "shot":
                row = shots.setdefault(ev["shot"], {"state": "waiting"})
                if ev.get("state") == "generating" and "t0" not in row:
                    row["t0"] = ev.get("t")
                if ev.get("state") in ("done", "cached") and row.get("t0") and ev.get("t"):
                    done_times.append(float(ev["t"]) - float(row["t0"]))
                row.update({k: v for k, v in ev.items() if k not in ("event", "shot", "t")})
            elif kind == "pick" and ev.get("shot"):  # shown with the shot: why it was ignored
                row = shots.setdefault(ev["shot"], {"state": "waiting"})
                row["reason"] = ev.get("reason") or f"picked take {ev.get('attempt')}"
            elif kind == "attempt" and ev.get("cost"):
                with contextlib.suppress(TypeError, ValueError):
                    cost += float(ev["cost"])
            elif kind in ("speech.phase", "assemble"):
                phase = "speech" if kind == "speech.phase" else "assembling"
            elif kind in ("render.done", "render.failed"):
                result = {k: v for k, v in ev.items() if k != "t"}
                phase = kind.split(".")[1]
        left = sum(1 for r in shots.values() if r.get("state") not in _FINISHED)
        eta = None
        if left and done_times:
            eta = round(sum(done_times) / len(done_times) * left / max(1, concurrency), 1)
        now = self.finished or time.time()
        return {
            "id": self.id, "film": self.rel, "state": self.state, "phase": phase,
            "force": list(self.force), "created": self.created, "started": self.started,
            "finished": self.finished, "elapsed_s": round(now - (self.started or now), 1),
            "eta_s": eta, "cost": f"{cost:.2f}", "estimated_cost": estimated,
            "currency": currency or "USD", "events": len(self.events), "pid": self.pid,
            "returncode": self.returncode, "error": self.error, "result": result,
            "shots": [{"id": sid, **{k: v for k, v in row.items() if k != "t0"}}
                      for sid, row in shots.items()],
        }


def _news(run: Run, seen: int) -> Callable[[], bool]:
    """True once ``run`` has more than ``seen`` events or has ended."""
    return lambda: len(run.events) > seen or run.finished is not None


class RunManager:
    """Starts, bounds, watches and cancels the studio's renders (in the server's event loop)."""

    def __init__(self, *, max_renders: int = 2, global_args: Sequence[str] = (),
                 python: str | None = None) -> None:
        self.max_renders = max(1, int(max_renders))
        self.global_args = list(global_args)
        self.python = python or sys.executable
        self.runs: dict[str, Run] = {}
        #: the studio's batches (kept apart from ``runs``, the renders the API lists)
        self.batches: dict[str, Run] = {}
        self._taking = asyncio.Lock()
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created inside the running loop
            self._slots = asyncio.Semaphore(self.max_renders)
        return self._slots

    def active_for(self, project: Path) -> Run | None:
        for run in [*self.runs.values(), *self.batches.values()]:
            if run.state in ACTIVE and run.holds(project):
                return run
        return None

    def start(self, film: Path, rel: str, *, force: Sequence[str] = (),
              max_cost: str | None = None, concurrency: int | None = None,
              provider: str | None = None, allow_gaps: bool = False) -> Run:
        """Queue a render of ``film``; raises :class:`RenderBusy` when its project renders."""
        busy = self.active_for(film.parent)
        if busy is not None:
            raise RenderBusy(f"{rel}: this project is already rendering ({busy.kind} {busy.id})",
                             hint="wait for it to finish or cancel it")
        holder = project_lock_holder(film.parent)
        if holder is not None:
            raise RenderBusy(f"{rel}: another render of this project is running ({holder})",
                             hint="wait for it to finish")
        args = [*self.global_args, "render", str(film), "--json", "--yes"]
        for shot in force:
            args += ["--force", shot]
        if max_cost is not None:
            args += ["--max-cost", str(max_cost)]
        if concurrency:
            args += ["--concurrency", str(int(concurrency))]
        if provider:
            args += ["--provider", provider]
        if allow_gaps:
            args.append("--allow-gaps")
        return self.submit(Run(id=secrets.token_hex(6), film=film, rel=rel, args=args,
                               force=tuple(force)))

    def submit(self, run: Run) -> Run:
        """Queue ``run`` (its ``args`` follow ``python -m ministudio``); it starts once
        ``run.slots`` of the bound are free."""
        (self.batches if run.kind == "batch" else self.runs)[run.id] = run
        task = asyncio.get_running_loop().create_task(self._drive(run))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info(f"studio.{run.kind}.queued", run=run.id, film=run.rel)
        return run

    @contextlib.asynccontextmanager
    async def _take(self, n: int) -> AsyncIterator[None]:
        """``n`` slots of the bound (taken one by one under a lock, so two runs that need
        several never hold part of them each)."""
        slots, taken = self._semaphore(), 0
        n = max(1, min(n, self.max_renders))
        try:
            async with self._taking:
                for _ in range(n):
                    await slots.acquire()
                    taken += 1
            yield
        finally:
            for _ in range(taken):
                slots.release()

    async def _changed(self, run: Run) -> None:
        async with run.changed:
            run.changed.notify_all()

    async def _drive(self, run: Run) -> None:
        try:
            async with self._take(run.slots):
                if run.cancel_requested:
                    run.state, run.error = "cancelled", "cancelled"
                    return
                await self._spawn_and_read(run)
        except Exception as exc:  # the server stays up; the run says what happened
            log.warning("studio.render.crashed", run=run.id, exc_info=True)
            run.state, run.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            run.finished = time.time()
            await self._changed(run)

    async def _spawn_and_read(self, run: Run) -> None:
        env = {k: v for k, v in os.environ.items() if k != "MINISTUDIO_DEBUG"}
        env["PYTHONUNBUFFERED"] = "1"
        run.proc = await asyncio.create_subprocess_exec(
            self.python, "-m", "ministudio", *run.args, cwd=str(run.cwd), env=env,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, limit=1 << 22,
        )
        run.pid, run.state, run.started = run.proc.pid, "running", time.time()
        log.info("studio.render.started", run=run.id, pid=run.pid)
        await self._changed(run)
        await asyncio.gather(self._read_events(run), self._read_stderr(run))
        run.returncode = await run.proc.wait()
        if run.cancel_requested:
            run.state, run.error = "cancelled", "cancelled"
        elif run.succeeded():
            run.state = "done"
        else:
            run.state = "failed"
            run.error = run.failure_note() or self._failure(run)
        log.info("studio.render.finished", run=run.id, state=run.state, rc=run.returncode)

    @staticmethod
    def _failure(run: Run) -> str:
        for ev in reversed(run.events):
            if ev.get("event") == "error" and ev.get("message"):
                return str(ev["message"])
        if any(ln.startswith("Traceback") for ln in run.stderr):  # a bug: its type, not its
            log.warning("studio.render.crash", run=run.id, stderr="\n".join(run.stderr))
            last = next((ln for ln in reversed(run.stderr) if ln and not ln[0].isspace()), "")
            return f"the render crashed: {last[:300]} (details in the studio's log)"
        lines, keep = [], False
        for ln in run.stderr:  # the command's one-line error, its hint and its problem list
            keep = ln.startswith(("error:", "hint:")) or (keep and ln.startswith("  "))
            if keep:
                lines.append(ln)
        if lines:
            return "\n".join(lines[-12:])
        if run.returncode is not None and run.returncode < 0:
            return f"the render process was killed (signal {-run.returncode})"
        return f"the render exited with status {run.returncode}"

    async def _read_events(self, run: Run) -> None:
        assert run.proc is not None and run.proc.stdout is not None
        async for raw in run.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue  # not an event (a plugin printing on stdout)
            if isinstance(event, dict) and "event" in event:
                run.events.append(event)
                await self._changed(run)

    async def _read_stderr(self, run: Run) -> None:
        assert run.proc is not None and run.proc.stderr is not None
        async for raw in run.proc.stderr:
            run.stderr.append(raw.decode("utf-8", "replace").rstrip()[:2000])

    async def cancel(self, run: Run) -> None:
        """Stop a render: SIGTERM to its process group, SIGKILL after a grace period. What
        was finished stays in the project's cache; the next render resumes from there."""
        run.cancel_requested = True
        proc = run.proc
        if proc is None or proc.returncode is not None:
            if run.state == "queued":  # never started: it ends now and frees its project
                run.state, run.error, run.finished = "cancelled", "cancelled", time.time()
            await self._changed(run)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), CANCEL_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    async def follow(self, run: Run, start: int = 0,
                     heartbeat_s: float = 15.0) -> AsyncIterator[tuple[int, dict[str, Any] | None]]:
        """Every event from ``start`` on as ``(index, event)``, then waits for more until the
        run ends; yields ``(index, None)`` as a heartbeat while nothing happens."""
        i = max(0, start)
        while True:
            while i < len(run.events):
                yield i, run.events[i]
                i += 1
            if run.finished is not None:
                return
            async with run.changed:
                try:
                    await asyncio.wait_for(run.changed.wait_for(_news(run, i)), heartbeat_s)
                except TimeoutError:
                    yield i, None

    async def shutdown(self) -> None:
        """Cancel every render still going (the server is stopping)."""
        await asyncio.gather(*(self.cancel(r) for r in [*self.runs.values(),
                                                        *self.batches.values()]
                               if r.state in ACTIVE), return_exceptions=True)
