"""Batches submitted to the studio: each one is a ``ministudio batch ... --json --yes`` process.

A batch is a :class:`~ministudio.studio.runs.Run` of the studio's
:class:`~ministudio.studio.runs.RunManager` (so it is bounded, streamed and cancelled like a
render): it holds every project it names (a render of one of them is refused with 409 while
it runs) and ``jobs`` slots of ``studio.max_renders``. Its events are exactly those of
``ministudio batch --json``; its status is the batch summary, kept up to date from them.

Everything a batch reads or writes stays inside the studio folder: the films (or the
manifest, and every film it lists), and ``out`` and every manifest entry's ``out``, are
checked with the studio's path guard; fsspec URLs (remote films, ``s3://`` delivery) are
refused in this version, and so are executor addresses (``dask://host:8786``): the API runs
registered executors by name only, ``dask`` and ``ray`` when their extras are installed.
"""

from __future__ import annotations

import importlib.util
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from ministudio.log import get_logger
from ministudio.studio.api import ApiError, Studio, _money, _text_field, body_json, studio_of
from ministudio.studio.films import PathRefused, inside
from ministudio.studio.runs import ACTIVE, RenderBusy, Run
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

__all__ = ["BatchRun", "batch_routes"]

log = get_logger(__name__)

#: executors whose libraries come from an extra: (module to find, extra)
_EXTRAS = {"dask": ("distributed", "dask"), "ray": ("ray", "ray")}
MAX_FILMS = 500


@attrs.define(eq=False)
class BatchRun(Run):
    """One batch: the films it renders (``names``, by their batch name) and their projects."""

    projects: tuple[Path, ...] = ()
    names: tuple[str, ...] = ()
    root: Path = Path(".")
    kind = "batch"

    @property
    def cwd(self) -> Path:
        return self.root

    def holds(self, project: Path) -> bool:
        return project in self.projects

    def _done(self) -> dict[str, Any] | None:
        return next((e for e in reversed(self.events) if e.get("event") == "batch.done"), None)

    def succeeded(self) -> bool:
        done = self._done()
        return self.returncode == 0 and done is not None and not done.get("failed")

    def failure_note(self) -> str | None:
        done = self._done()
        if done is None:
            return None
        bad = [f for f in done.get("films", []) if f.get("status") not in ("done",
                                                                             "done-with-gaps")]
        if not bad:
            return None
        first = (bad[0].get("reason") or bad[0].get("status") or "").splitlines()
        return (f"{len(bad)} of {len(done.get('films', []))} films did not render: "
                f"{bad[0].get('film')} ({first[0][:300] if first else 'failed'})")

    def summary(self) -> dict[str, Any]:
        """The batch summary so far: every film's status, cost and failure, the totals."""
        films: dict[str, dict[str, Any]] = {n: {"film": n, "status": "waiting"}
                                            for n in self.names}
        executor = slots = None
        done: dict[str, Any] | None = None
        for ev in self.events:
            kind = ev.get("event")
            if kind == "batch.start":
                for n in ev.get("films", []):
                    films.setdefault(n, {"film": n, "status": "waiting"})
                executor = ev.get("executor")
            elif kind == "batch.executor":
                executor, slots = ev.get("executor"), ev.get("slots")
            elif kind == "film.start" and ev.get("film") in films:
                films[ev["film"]].update(status="rendering", path=ev.get("path"))
            elif kind == "film.progress" and ev.get("film") in films:
                films[ev["film"]]["last_event"] = ev.get("kind")
            elif kind in ("film.done", "film.failed", "film.skipped") and ev.get("film"):
                row = {k: v for k, v in ev.items() if k not in ("event", "t")}
                row.setdefault("status", kind.split(".")[1])
                films[ev["film"]] = row
            elif kind == "batch.done":
                done = ev
                for row in ev.get("films", []):
                    films[row["film"]] = row
        cost = sum((Decimal(str(f.get("cost") or 0)) for f in films.values()), Decimal(0))
        now = self.finished or self.started or self.created
        rows = list(films.values())
        return {
            "id": self.id, "kind": "batch", "state": self.state, "executor": executor,
            "slots": slots, "created": self.created, "started": self.started,
            "finished": self.finished,
            "elapsed_s": round(now - (self.started or now), 1) if self.started else 0.0,
            "films": rows, "cost": str(cost), "currency": "USD",
            "done": sum(f.get("status") in ("done", "done-with-gaps") for f in rows),
            "failed": sum(f.get("status") == "failed" for f in rows),
            "skipped": sum(f.get("status") == "skipped" for f in rows),
            "events": len(self.events), "pid": self.pid, "returncode": self.returncode,
            "error": self.error, "result": done,
        }


def _links(batch_id: str) -> dict[str, str]:
    return {"status": f"/api/batches/{batch_id}", "events": f"/api/batches/{batch_id}/events",
            "cancel": f"/api/batches/{batch_id}/cancel"}


def _rel_inside(studio: Studio, path: Path, what: str) -> Path:
    """``path`` (absolute) through the studio's path guard."""
    try:
        rel = path.resolve().relative_to(studio.root.resolve()).as_posix()
    except ValueError:
        raise PathRefused(f"{what}: outside the studio folder", 403) from None
    return inside(studio.root, rel)


def _local_out(studio: Studio, value: str | None, base: Path, what: str) -> Path | None:
    """An output folder inside the studio folder (created by the batch), or None."""
    if value is None:
        return None
    if "://" in value:
        raise ApiError(f"{what}: {value[:80]!r}: the studio delivers into its own folder only "
                       "(fsspec URLs: use `ministudio batch --out URL`)", 400)
    target = Path(value) if Path(value).is_absolute() else base / value
    try:
        rel = target.resolve().relative_to(studio.root.resolve()).as_posix()
    except ValueError:
        raise PathRefused(f"{what}: {value[:80]!r}: outside the studio folder", 403) from None
    return inside(studio.root, rel, must_exist=False)


def _collect(studio: Studio, films: list[str] | None, manifest: str | None,
             out: str | None) -> tuple[Any, list[str], Path | None]:
    """The batch's jobs (every film and output checked), the sources to pass to the command
    and the resolved ``out``."""
    from ministudio.batch import collect_jobs
    from ministudio.batch.manifest import is_manifest

    if manifest is not None:
        path = inside(studio.root, manifest)
        if not path.is_file() or not is_manifest(path):
            raise ApiError(f"{manifest[:80]!r}: not a batch manifest (a YAML or JSON file "
                           "with a films: list)", 400)
        sources = [str(path)]
    else:
        assert films is not None
        sources = [str(studio.film_path(rel)) for rel in films]
    loaded = collect_jobs(sources)
    for job in loaded.jobs:
        if job.source is not None:
            raise ApiError(f"{job.source[:80]!r}: the studio renders films in its own folder "
                           "only (fsspec URLs: use `ministudio batch`)", 400)
        _rel_inside(studio, job.film, job.name)
        _local_out(studio, job.out, job.project, f"{job.name}: out")  # as the task reads it
    if manifest is not None:  # relative to the command's folder, the studio folder
        _local_out(studio, loaded.out, studio.root, "the manifest's out")
    return loaded, sources, _local_out(studio, out, studio.root, "out")


def _executor(studio: Studio, name: str) -> str:
    if "://" in name:
        raise ApiError("executor: the studio runs executors by name only (addresses such as "
                       "dask://host:8786: use `ministudio batch --executor`)", 400)
    specs = studio.manager().executors()
    if name not in specs:
        raise ApiError(f"executor: no executor named {name[:40]!r} (available: "
                       f"{', '.join(sorted(specs))})", 400)
    module, extra = _EXTRAS.get(name, (None, None))
    if module is not None and importlib.util.find_spec(module) is None:
        raise ApiError(f"executor {name!r} needs its extra: pip install 'ministudio[{extra}]'",
                       400)
    return name


async def create_batch(request: Request) -> JSONResponse:
    """Start a batch (a `ministudio batch ... --json --yes` process) of films in the studio
    folder, or of a manifest there.
    ---
    summary: Start a batch
    description: A batch estimated above zero needs `confirm true`; without it the answer is
      428 with the estimate (every film planned, nothing spent). The batch holds every project
      it names (409 when one renders in the studio; a render started elsewhere fails that film,
      named) and `jobs` of the `studio.max_renders` slots; beyond them it waits as `queued`.
      Films, manifest and outputs stay inside the studio folder (no fsspec URLs); executors by
      name only.
    requestBody:
      content:
        application/json:
          schema:
            type: object
            properties:
              films: {type: array, items: {type: string}, description: film paths in the
                studio folder}
              manifest: {type: string, description: "a batch manifest in the studio folder
                (instead of films; docs/batch.md)"}
              out: {type: string, description: "a folder in the studio folder: every film in
                OUT/NAME/ (default: out/ next to each film)"}
              executor: {type: string, description: "local (default), dask or ray (when
                installed), or another registered executor"}
              jobs: {type: integer, description: "films at once (at most studio.max_renders)"}
              max_cost: {type: string, description: budget of the whole batch (USD)}
              confirm: {type: boolean, description: spend the estimated cost}
              provider: {type: string, description: video provider for films that name none}
              concurrency: {type: integer}
              allow_gaps: {type: boolean}
    responses:
      202: {description: "the batch's status (see GET /api/batches/{id}) and its links"}
      400: {description: "a bad option, an unknown executor or a missing extra"}
      403: {description: a path outside the studio folder}
      404: {description: no such film or manifest}
      409: {description: one of its projects is rendering in the studio}
      428: {description: "the batch costs money: {error, estimated_cost, currency, films}"}
    """
    studio = studio_of(request)
    data = await body_json(request)
    films, manifest = data.get("films"), _text_field(data, "manifest", required=False)
    if (films is None) == (manifest is None):
        raise ApiError("send either 'films' (a list of film paths) or 'manifest' (a path)")
    if films is not None and (not isinstance(films, list) or not films or len(films) > MAX_FILMS
                              or not all(isinstance(f, str) and f for f in films)):
        raise ApiError(f"'films' must be a list of 1 to {MAX_FILMS} film paths")
    executor = _executor(studio, _text_field(data, "executor", required=False) or "local")
    jobs = data.get("jobs")
    limit = studio.runs.max_renders
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool)
                             or not 1 <= jobs <= limit):
        raise ApiError(f"'jobs' must be a whole number from 1 to {limit} (studio.max_renders)")
    concurrency = data.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or isinstance(
            concurrency, bool) or not 1 <= concurrency <= 64):
        raise ApiError("'concurrency' must be a whole number from 1 to 64")
    max_cost = _money(data.get("max_cost"))
    provider = _text_field(data, "provider", required=False)
    loaded, sources, out = await run_in_threadpool(
        _collect, studio, films, manifest, _text_field(data, "out", required=False))
    projects = tuple(dict.fromkeys(j.project.resolve() for j in loaded.jobs))
    for project in projects:
        busy = studio.runs.active_for(project)
        if busy is not None:
            raise RenderBusy(f"{studio.rel(project) or '.'}: this project is already rendering "
                             f"({busy.kind} {busy.id})", hint="wait for it to finish or cancel it")
    if data.get("confirm") is not True:
        from ministudio.batch import estimate_jobs

        job_list = list(loaded.jobs)
        if provider:
            job_list = [j if j.provider else attrs.evolve(j, provider=provider)
                        for j in job_list]
        estimates = await run_in_threadpool(lambda: estimate_jobs(
            job_list, overrides=studio.overrides))
        total = sum((v for v in estimates.values() if isinstance(v, Decimal)), Decimal(0))
        if total > 0:
            raise ApiError(f"this batch is estimated at {total:.2f} USD; send confirm: true to "
                           "spend it (cached shots cost nothing)", 428,
                           estimated_cost=f"{total:.2f}", currency="USD",
                           films=[{"film": n, "estimated_cost": f"{v:.2f}"
                                   if isinstance(v, Decimal) else None,
                                   "error": None if isinstance(v, Decimal) else str(v)}
                                  for n, v in estimates.items()])
    slots = jobs or min(2, limit)
    args = [*studio.runs.global_args, "batch", *sources, "--json", "--yes",
            "--executor", executor, "--jobs", str(slots)]
    if out is not None:
        args += ["--out", str(out)]
    if max_cost is not None:
        args += ["--max-cost", max_cost]
    if provider:
        args += ["--provider", provider]
    if concurrency:
        args += ["--concurrency", str(concurrency)]
    if data.get("allow_gaps") is True:
        args.append("--allow-gaps")
    first = loaded.jobs[0].film
    run = BatchRun(id=secrets.token_hex(6), film=first,
                   rel=manifest if manifest is not None else studio.rel(first), args=args,
                   projects=projects, names=tuple(j.name for j in loaded.jobs),
                   root=studio.root, slots=slots)
    studio.runs.submit(run)
    return JSONResponse({**run.summary(), "links": _links(run.id)}, status_code=202)


def _batch(request: Request) -> BatchRun:
    run = studio_of(request).runs.batches.get(request.path_params["batch"])
    if not isinstance(run, BatchRun):
        raise ApiError(f"no batch {request.path_params['batch'][:40]!r}", 404)
    return run


async def list_batches(request: Request) -> JSONResponse:
    """The studio's batches since it started, newest first.
    ---
    summary: List batches
    responses:
      200: {description: "{batches: [status]}"}
    """
    rows = sorted(studio_of(request).runs.batches.values(), key=lambda r: r.created,
                  reverse=True)
    return JSONResponse({"batches": [{**r.summary(), "links": _links(r.id)} for r in rows]})


async def get_batch(request: Request) -> JSONResponse:
    """A batch's status: state (queued, running, done, failed, cancelled) and the batch
    summary so far: every film's status (waiting, rendering, done, done-with-gaps, failed,
    skipped), cost and failure reason, and the totals.
    ---
    summary: Batch status
    parameters:
      - {name: batch, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: "{id, state, executor, films: [{film, status, cost, reason, ...}],
        done, failed, skipped, cost, error, result}"}
      404: {description: no such batch}
    """
    run = _batch(request)
    return JSONResponse({**run.summary(), "links": _links(run.id)})


async def batch_events(request: Request) -> StreamingResponse:
    """The batch's events, the same as `ministudio batch --json` prints (batch.start,
    film.start, film.progress, film.done/failed/skipped, batch.done), from the first one,
    then live until it ends.
    ---
    summary: Stream a batch's events
    description: "Server-sent events as for a render (`id:` the index, `Last-Event-ID`
      resumes, a last `end` event with the batch's state); `format=jsonl` for one JSON event
      per line."
    parameters:
      - {name: batch, in: path, required: true, schema: {type: string}}
      - {name: format, in: query, required: false, schema: {type: string, enum: [sse, jsonl]}}
      - {name: from, in: query, required: false, schema: {type: integer}}
    responses:
      200: {description: "text/event-stream (or application/x-ndjson)"}
      404: {description: no such batch}
    """
    from ministudio.studio.api import stream_events

    return stream_events(request, studio_of(request).runs, _batch(request))


async def cancel_batch(request: Request) -> JSONResponse:
    """Cancel a batch: its process group is terminated; finished films and shots stay (a
    rerun renders only what is missing).
    ---
    summary: Cancel a batch
    parameters:
      - {name: batch, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: the batch's status}
      404: {description: no such batch}
    """
    studio = studio_of(request)
    run = _batch(request)
    if run.state in ACTIVE:
        await studio.runs.cancel(run)
    return JSONResponse({**run.summary(), "links": _links(run.id)})


def batch_routes() -> list[Route]:
    return [
        Route("/batches", create_batch, methods=["POST"]),
        Route("/batches", list_batches, methods=["GET"]),
        Route("/batches/{batch}", get_batch, methods=["GET"]),
        Route("/batches/{batch}/events", batch_events, methods=["GET"]),
        Route("/batches/{batch}/cancel", cancel_batch, methods=["POST"]),
    ]
