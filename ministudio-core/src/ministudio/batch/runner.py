"""``run_batch``: render many films with a bounded number at once, on an executor.

1. The sources become jobs (:mod:`ministudio.batch.manifest`); jobs of one project folder
   become one task, rendered in order (one writer per project ledger), tasks of different
   projects run at once, at most the executor's ``slots``.
2. With a batch budget (``max_cost``) every film is planned first (a dry run: nothing is
   spent) for its estimate. A task starts only when its films' estimates fit in what is left
   of the budget (spent by finished films and reserved by running ones subtracted); it gets
   that estimate as its cap, each film's engine refusing any call that would pass it. When
   the task ends its unused reservation returns to the budget. A task that does not fit
   waits while others run, and is skipped (``skipped``, "over the batch budget") once
   nothing runs and it still does not fit. Estimates count cached shots as paid, so the
   budget is conservative: a rerun that makes no paid call still needs its estimate free.
3. A failed film (invalid, a provider error, a lost worker) is recorded with its reason and
   never stops the others. The summary lists every film's status, cost and failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.batch.manifest import BatchJob, Manifest, collect_jobs
from ministudio.batch.summary import BatchSummary, FilmResult
from ministudio.batch.task import FilmTask, register_plugin
from ministudio.log import get_logger

__all__ = ["estimate_jobs", "run_batch", "run_batch_async"]

log = get_logger(__name__)

Emit = Callable[[dict[str, Any]], None]


def _tasks(jobs: Sequence[BatchJob]) -> list[tuple[str, list[BatchJob]]]:
    groups: dict[str, list[BatchJob]] = {}
    for job in jobs:
        groups.setdefault(job.project_key, []).append(job)
    return list(groups.items())


def estimate_jobs(jobs: Sequence[BatchJob], *, overrides: tuple[str, ...] = (),
                  plugins: Sequence[Any] = (),
                  storage_options: Mapping[str, Any] | None = None,
                  ) -> dict[str, Decimal | Exception]:
    """Each job's estimated cost (a dry run, nothing spent), or the error that stops it.
    Remote projects are pulled into their working copies first."""
    from ministudio.batch.task import materialize
    from ministudio.config import load_settings
    from ministudio.engine import render
    from ministudio.errors import MinistudioError
    from ministudio.plugins import PluginManager

    out: dict[str, Decimal | Exception] = {}
    managers: dict[Path, Any] = {}
    for job in jobs:
        try:
            job = materialize(job, storage_options or {})
            settings = load_settings(project_dir=job.project, overrides=overrides)
            if job.project not in managers:
                pm = PluginManager(env=settings.env,
                                   disabled=settings.get("plugins.disabled") or ())
                for i, plugin in enumerate(plugins):
                    register_plugin(pm, plugin, f"batch-{i}")
                managers[job.project] = pm
            preview = render(job.film, dry_run=True, provider=job.provider, speech=job.speech,
                             manager=managers[job.project], settings=settings,
                             check_credentials=True)
            out[job.name] = Decimal(preview.estimated_cost)
        except MinistudioError as exc:
            out[job.name] = exc
    return out


def _executor(value: str | Any, slots: int | None, options: Mapping[str, Any]) -> Any:
    if not isinstance(value, str):
        return value  # an executor object
    from ministudio.batch.executors import find_executor
    from ministudio.plugins import PluginManager

    specs = PluginManager().executors()
    spec, address = find_executor(specs, value)
    return spec.factory(address, slots=slots, **dict(options))


async def run_batch_async(
    sources: Iterable[str | Path] | Manifest,
    *,
    out: str | Path | None = None,
    executor: str | Any = "local",
    jobs: int | None = None,
    max_cost: Decimal | float | str | None = None,
    provider: str | None = None,
    overrides: Sequence[str] = (),
    plugins: Sequence[Any] = (),
    concurrency: int | None = None,
    allow_gaps: bool = False,
    storage_options: Mapping[str, Any] | None = None,
    chunksize: int | None = None,
    executor_options: Mapping[str, Any] | None = None,
    emit: Emit | None = None,
) -> BatchSummary:
    """Render every film ``sources`` name (see :mod:`ministudio.batch`). Never raises for a
    film that fails; raises :class:`~ministudio.errors.ConfigError` for unusable sources, an
    unknown executor or a missing extra, before any film starts."""
    t0 = time.monotonic()
    emit = emit or (lambda _e: None)
    manifest = sources if isinstance(sources, Manifest) else collect_jobs(sources)
    if out is None:
        out = manifest.out
    if max_cost is None:
        max_cost = manifest.max_cost
    budget = None if max_cost is None else Decimal(str(max_cost))
    job_list = list(manifest.jobs)
    if provider:
        job_list = [j if j.provider else attrs.evolve(j, provider=provider) for j in job_list]
    out_text = None if out is None else str(out)
    if out_text is not None and "://" not in out_text:
        out_text = str(Path(out_text).resolve())
    ex = _executor(executor, jobs, executor_options or {})
    results: dict[str, FilmResult] = {}
    estimates: dict[str, Decimal] = {}
    if budget is not None:
        for name, value in (await asyncio.to_thread(
                estimate_jobs, job_list, overrides=tuple(overrides), plugins=plugins,
                storage_options=storage_options)).items():
            if isinstance(value, Exception):
                job = next(j for j in job_list if j.name == name)
                results[name] = FilmResult(name=name, path=job.source or str(job.film),
                                           status="failed",
                                           reason=str(value), error_type=type(value).__name__)
            else:
                estimates[name] = value
    pending = [(project, [j for j in js if j.name not in results])
               for project, js in _tasks(job_list)]
    pending = [(p, js) for p, js in pending if js]
    emit({"event": "batch.start", "films": [j.name for j in job_list], "executor": ex.name,
          "max_cost": None if budget is None else str(budget)})
    for res in results.values():
        emit({"event": "film.failed", **res.to_json()})
    spent = Decimal(0)
    reserved = Decimal(0)
    running: dict[asyncio.Task[Any], tuple[list[BatchJob], Decimal]] = {}
    try:
        await ex.start(emit)
        emit({"event": "batch.executor", "executor": ex.name, "slots": ex.slots})
        while pending or running:
            for item in list(pending):
                if len(running) >= ex.slots:
                    break
                project, js = item
                need = sum((estimates.get(j.name, Decimal(0)) for j in js), Decimal(0))
                cap = None
                if budget is not None:
                    left = budget - spent - reserved
                    if need > left:
                        continue
                    cap = need
                    reserved += need
                task = FilmTask(project=project, jobs=tuple(js), cap=cap, out=out_text,
                                storage_options=dict(storage_options or {}), chunksize=chunksize,
                                overrides=tuple(overrides), plugins=tuple(plugins),
                                concurrency=concurrency, allow_gaps=allow_gaps)
                running[asyncio.ensure_future(ex.run(task))] = (js, need if cap is not None
                                                                else Decimal(0))
                pending.remove(item)
            if not running:
                # nothing runs and nothing fits: what is left is over the budget
                for _project, js in pending:
                    left = budget - spent - reserved if budget is not None else Decimal(0)
                    for j in js:
                        res = FilmResult(
                            name=j.name, path=j.source or str(j.film), status="skipped",
                            estimated_cost=estimates.get(j.name),
                            reason=f"over the batch budget: its project needs about "
                                   f"{sum(estimates.get(x.name, Decimal(0)) for x in js):.2f}, "
                                   f"{left:.2f} of --max-cost {budget} is left")
                        results[j.name] = res
                        emit({"event": "film.skipped", **res.to_json()})
                pending = []
                break
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for fut in done:
                js, held = running.pop(fut)
                reserved -= held
                try:
                    film_results = fut.result()
                except Exception as exc:  # noqa: BLE001 - a lost task fails its films only
                    reason = f"{type(exc).__name__}: {exc}"
                    film_results = [FilmResult(name=j.name, path=j.source or str(j.film),
                                               status="failed",
                                               reason=reason, error_type=type(exc).__name__)
                                    for j in js]
                    for res in film_results:
                        emit({"event": "film.failed", **res.to_json()})
                for res in film_results:
                    spent += res.cost
                    results[res.name] = attrs.evolve(
                        res, estimated_cost=res.estimated_cost
                        if res.estimated_cost is not None else estimates.get(res.name))
    finally:
        # interrupted: stop the tasks still running, then the executor
        for fut in running:
            fut.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        await ex.close()
    summary = BatchSummary(films=tuple(results[j.name] for j in job_list if j.name in results),
                           executor=ex.name, max_cost=budget, wall_s=time.monotonic() - t0)
    emit({"event": "batch.done", **summary.to_json()})
    log.info("batch.done", films=len(summary.films), failed=len(summary.failed),
             cost=str(summary.cost), wall_s=round(summary.wall_s, 2))
    return summary


def run_batch(sources: Iterable[str | Path] | Manifest, **kwargs: Any) -> BatchSummary:
    """Synchronous :func:`run_batch_async` (runs its own event loop)."""
    return asyncio.run(run_batch_async(sources, **kwargs))
