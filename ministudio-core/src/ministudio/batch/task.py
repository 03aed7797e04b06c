"""One unit of batch work: the films of one project, rendered one after another.

This is what an executor runs, in this process (``local``) or on a worker (``dask``): it
needs only the installed packages and the project folder (shared storage, or the worker's
own copy). Films of one project share its ledger and media store (``.ministudio/``), whose
SQLite ledger has one writer at a time (the project lock), so they never run at once; films
of different projects are independent tasks.

Everything here pickles (attrs records of paths, strings and plugin objects), so a task can
be sent to another process or machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.batch.manifest import BatchJob
from ministudio.batch.sinks import Sink, is_url
from ministudio.batch.summary import FilmResult

__all__ = ["FilmTask", "run_task", "run_task_async"]

Emit = Callable[[dict[str, Any]], None]


@attrs.frozen(kw_only=True)
class FilmTask:
    """The films of one project and how to render them."""

    #: the project's folder, or its URL for a remote project
    project: str
    jobs: tuple[BatchJob, ...]
    #: the batch budget this task may spend (``None``: no batch budget)
    cap: Decimal | None = None
    #: batch-wide output: a local folder or a URL (each film under ``<out>/<name>/``)
    out: str | None = None
    storage_options: dict[str, Any] = attrs.field(factory=dict, repr=False)
    chunksize: int | None = None
    #: ``KEY=VALUE`` setting overrides (the CLI's ``--set``)
    overrides: tuple[str, ...] = ()
    #: plugin objects registered in every render of the task (they must pickle)
    plugins: tuple[Any, ...] = ()
    concurrency: int | None = None
    allow_gaps: bool = False


def _local_out(task: FilmTask, job: BatchJob) -> tuple[Path, Sink | None, str]:
    """Where the engine renders ``job``, the sink it is then delivered to, and its folder
    name there."""
    target = job.out or (f"{task.out.rstrip('/')}/{job.name}" if task.out else None)
    if target is None and job.source:
        target = f"{job.source.rsplit('/', 1)[0]}/out/{job.name}"
    if target is None:
        return job.project / "out" / job.name, None, job.name
    if is_url(target):
        parent, leaf = target.rstrip("/").rsplit("/", 1)
        sink = Sink(url=parent, storage_options=task.storage_options, chunksize=task.chunksize)
        return job.project / "out" / job.name, sink, leaf
    path = Path(target.removeprefix("file://"))
    if not path.is_absolute() and job.out:
        path = job.project / path
    return path, None, job.name


async def run_task_async(task: FilmTask, emit: Emit) -> list[FilmResult]:
    """Render every film of ``task``; a failed film is recorded and the next one runs."""
    from ministudio.batch.sinks import upload_folder
    from ministudio.config import load_settings
    from ministudio.engine import render_async
    from ministudio.errors import MinistudioError
    from ministudio.plugins import PluginManager

    where = f"{socket.gethostname()}:{os.getpid()}"
    left = task.cap
    results: list[FilmResult] = []
    manager = None
    settings = None
    pulled: dict[str, Path] = {}
    for job in task.jobs:
        t0 = time.monotonic()
        seen: dict[str, Any] = {}

        def film_emit(event: dict[str, Any], _name: str = job.name,
                      _seen: dict[str, Any] = seen) -> None:
            if event.get("event") in ("render.done", "render.failed", "render.start"):
                _seen[event["event"]] = event
            # the engine's event, named by its film: ``kind`` is the engine's event name
            emit({**event, "event": "film.progress", "kind": event.get("event"), "film": _name})

        emit({"event": "film.start", "film": job.name, "path": job.source or str(job.film),
              "worker": where, "max_cost": None if left is None else str(left)})
        out_dir = sink = remote = None
        try:
            if job.source:
                job = await asyncio.to_thread(materialize, job, task.storage_options, pulled)
            out_dir, sink, remote = _local_out(task, job)
            if settings is None:
                settings = load_settings(project_dir=job.project, overrides=task.overrides)
                manager = PluginManager(env=settings.env,
                                        disabled=settings.get("plugins.disabled") or ())
                for i, plugin in enumerate(task.plugins):
                    register_plugin(manager, plugin, f"batch-{i}")
            result = await render_async(
                job.film, out=out_dir, provider=job.provider, speech=job.speech,
                max_cost=left, concurrency=task.concurrency, allow_gaps=task.allow_gaps,
                manager=manager, settings=settings, emit=film_emit,
            )
        except MinistudioError as exc:
            reason = str(exc)
            if job.source and job.film.parent.exists() and "render.failed" in seen:
                try:
                    await _save_state(job, task)  # what the failed film paid for is kept
                except MinistudioError as lost:
                    reason = f"{reason}; and {lost}"
            cost = Decimal(str((seen.get("render.failed") or {}).get("cost") or 0))
            left = None if left is None else left - cost
            calls = int((seen.get("render.failed") or {}).get("provider_calls") or 0)
            res = FilmResult(name=job.name, path=job.source or str(job.film), status="failed",
                             cost=cost,
                             provider_calls=calls, reason=reason,
                             error_type=type(exc).__name__, worker=where,
                             wall_s=round(time.monotonic() - t0, 3))
            emit({"event": "film.failed", **res.to_json()})
            results.append(res)
            continue
        left = None if left is None else left - result.actual_cost
        delivered = None
        if sink is not None or job.source:
            try:
                if job.source:
                    await _save_state(job, task)
                if sink is not None:
                    delivered = await asyncio.to_thread(upload_folder, result.out_dir, sink,
                                                        remote)
            except MinistudioError as exc:
                res = FilmResult(name=job.name, path=job.source or str(job.film),
                                 status="failed", cost=result.actual_cost,
                                 estimated_cost=result.estimated_cost,
                                 provider_calls=result.provider_calls, out=str(result.out_dir),
                                 reason=str(exc), error_type=type(exc).__name__, worker=where,
                                 wall_s=round(time.monotonic() - t0, 3))
                emit({"event": "film.failed", **res.to_json()})
                results.append(res)
                continue
        shots = len(result.shots)
        res = FilmResult(
            name=job.name, path=job.source or str(job.film), status=result.status,
            cost=result.actual_cost,
            estimated_cost=result.estimated_cost, provider_calls=result.provider_calls,
            out=str(result.out_dir), delivered=delivered,
            file=str(result.film) if result.film else None, worker=where,
            shots=shots, cached_shots=sum(s.status == "cached" for s in result.shots),
            wall_s=round(time.monotonic() - t0, 3),
        )
        emit({"event": "film.done", **res.to_json()})
        results.append(res)
    return results


def register_plugin(manager: Any, plugin: Any, default_name: str) -> None:
    """Register ``plugin``. One with ``replaces_providers`` (and ``adopt(specs)``) takes over
    the plugins offering those providers: they are unregistered and it offers their specs."""
    from ministudio.errors import MinistudioError

    replaced = tuple(getattr(plugin, "replaces_providers", ()) or ())
    owners: list[str] = []
    for provider in replaced:
        try:
            owner = manager.get_provider(provider).plugin
        except MinistudioError:
            continue  # not installed here: nothing to take over
        if owner and owner not in owners:
            owners.append(owner)
    if replaced:
        plugin.adopt([s for s in manager.providers() if s.plugin in owners])
        for owner in owners:
            manager.unregister(owner)
    manager.register(plugin, getattr(plugin, "name", None) or default_name)


async def _save_state(job: BatchJob, task: FilmTask) -> None:
    from ministudio.batch.remote import push_state

    assert job.source is not None
    await asyncio.to_thread(push_state, job.film.parent, job.source.rsplit("/", 1)[0],
                            task.storage_options)


def materialize(job: BatchJob, storage_options: Mapping[str, Any],
                pulled: dict[str, Path] | None = None) -> BatchJob:
    """``job`` with ``film`` in its project's local working copy (pulled when remote)."""
    if not job.source:
        return job
    from ministudio.batch.remote import pull_project

    project_url, name = job.source.rsplit("/", 1)
    if pulled is None or project_url not in pulled:
        local = pull_project(project_url, storage_options)
        if pulled is not None:
            pulled[project_url] = local
    else:
        local = pulled[project_url]
    return attrs.evolve(job, film=local / name)


def run_task(task: FilmTask, emit: Emit | None = None) -> list[FilmResult]:
    """:func:`run_task_async` in its own event loop (what a worker process calls)."""
    return asyncio.run(run_task_async(task, emit or (lambda _e: None)))
