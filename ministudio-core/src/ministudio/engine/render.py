"""``render``: turn a film file into a finished film.

Steps: load and validate the film; synthesize every speech line (so ``auto`` durations fit
the narration) and plan again with the measured durations; produce every shot through the
dependency graph (continued shots wait for their predecessor's anchor frame, independent
chains run concurrently); assemble the film with narration and soft subtitles; write the
sidecars, ``manifest.json``, ``report.html`` and an OpenTimelineIO timeline.

Everything paid for is recorded in the project's ledger (``.ministudio/ledger.sqlite``) and
stored content-addressed (``.ministudio/media``), so a rerun of an unchanged film makes no
provider call and a crashed render picks up where it stopped.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.engine import heap
from ministudio.engine.budget import Budget
from ministudio.engine.errors import RenderFailedError, ShotError, ShotFailure
from ministudio.engine.ledger import Ledger
from ministudio.engine.lock import ProjectLock
from ministudio.engine.outdir import OutFolder, check_out_dir
from ministudio.engine.production import Production, ShotOutcome, SpeechOutcome, shoot_all
from ministudio.engine.progress import Emit, null_emit
from ministudio.engine.scheduler import BlockedError, Limits
from ministudio.engine.store import MediaStore
from ministudio.errors import ConfigError, MinistudioError
from ministudio.log import get_logger

__all__ = ["LEAD_S", "GAP_S", "RenderResult", "ShotReport", "render", "render_async",
           "speech_layout"]

log = get_logger(__name__)

STATE_DIR = ".ministudio"
#: silence before the first spoken line of a shot, and between two lines (the planner adds
#: its own tail after the last line)
LEAD_S = 0.2
GAP_S = 0.4


@attrs.frozen(kw_only=True)
class ShotReport:
    """One shot of a finished (or failed) render, as the manifest and report show it."""

    id: str
    plan: Any
    outcome: ShotOutcome | None
    speech: tuple[SpeechOutcome, ...] = ()
    placements: tuple[float, ...] = ()
    status: str = "done"
    failure: ShotFailure | None = None
    start_s: float = 0.0
    duration_s: float = 0.0


@attrs.frozen(kw_only=True)
class RenderResult:
    """What ``render`` produced. Paths are ``None`` for a dry run."""

    film: Path | None
    out_dir: Path
    plan: Any
    status: str
    estimated_cost: Decimal
    actual_cost: Decimal
    currency: str = "USD"
    provider_calls: int = 0
    production_id: int | None = None
    shots: tuple[ShotReport, ...] = ()
    files: Mapping[str, Path] = attrs.field(factory=dict)
    wall_s: float = 0.0
    #: seconds per phase: ``prepare`` (load, validate, plan, credentials), ``speech``,
    #: ``shots``, ``assemble`` (the film and every sidecar); they add up to ``wall_s``
    phases_s: Mapping[str, float] = attrs.field(factory=dict)
    failures: tuple[ShotFailure, ...] = ()
    #: every ledger attempt of this production (failed and retried ones included)
    attempts: tuple[Mapping[str, Any], ...] = ()


def speech_layout(durations: Sequence[float]) -> tuple[list[float], float]:
    """Start time of each line within its shot, and the time the shot needs for them."""
    starts, t = [], LEAD_S
    for i, d in enumerate(durations):
        if i:
            t += GAP_S
        starts.append(round(t, 3))
        t += d
    return starts, (round(t, 3) if durations else 0.0)


def render(film: str | Path, **kwargs: Any) -> RenderResult:
    """Synchronous :func:`render_async` (runs its own event loop)."""
    return asyncio.run(render_async(film, **kwargs))


def override_provider(film: Any, provider: str) -> Any:
    """``film`` with every shot on ``provider`` (its default model)."""
    scenes = tuple(
        attrs.evolve(sc, shots=tuple(attrs.evolve(sh, provider=None, model=None) for sh in sc.shots))
        for sc in film.scenes
    )
    return attrs.evolve(
        film, defaults=attrs.evolve(film.defaults, provider=provider, model=None), scenes=scenes
    )


def _shot_ids(plan: Any) -> list[str]:
    return [sp.id for sp in plan.shots]


async def render_async(
    film: str | Path,
    *,
    out: str | Path | None = None,
    provider: str | None = None,
    speech: Any = None,
    max_cost: Decimal | float | str | None = None,
    concurrency: int | None = None,
    dry_run: bool = False,
    force: Iterable[str] = (),
    allow_gaps: bool = False,
    allow_outside_refs: bool = False,
    manager: Any = None,
    settings: Any = None,
    emit: Emit = null_emit,
    transport: Any = None,
    retry: RetryPolicy | None = None,
    check_credentials: bool | None = None,
) -> RenderResult:
    """Render ``film`` into ``out`` (default: ``<film folder>/out/<film name>``).

    Before any speech or clip work, the credentials of every provider the plan uses are
    checked (:mod:`ministudio.preflight`; ``AuthenticationError`` naming what to set); a dry
    run checks them when ``provider`` is given or ``check_credentials`` is true.
    ``speech`` (a :class:`~ministudio.film.overrides.SpeechOverrides`) tells the film in
    another language or voice without editing it.
    ``force`` lists shot ids to generate again even when cached; ``allow_outside_refs``
    accepts reference images outside the film's folder (as ``validate`` does). Raises
    :class:`~ministudio.engine.errors.RenderFailedError` naming every failed shot (unless
    ``allow_gaps``), :class:`~ministudio.engine.errors.BudgetExceededError` inside it when
    ``max_cost`` stops the render, :class:`~ministudio.engine.errors.RenderLockedError` when
    another render of the project (or into the same ``out``) runs,
    :class:`~ministudio.engine.outdir.OutputFolderError` for an unusable ``out`` (before any
    work), and :class:`~ministudio.errors.ConfigError` for an invalid film.
    """
    from ministudio.compile import plan_film
    from ministudio.config import load_settings
    from ministudio.film import load_film, validate_film
    from ministudio.plugins import PluginManager

    t0 = time.monotonic()
    film_path = Path(film).resolve()
    project = film_path.parent
    out_dir = Path(out) if out is not None else project / "out" / film_path.stem
    check_out_dir(out_dir, project=project, create=False)  # a bad --out: refused before any work
    settings = settings or load_settings(project_dir=project)
    if manager is None:
        manager = PluginManager(env=settings.env, disabled=settings.get("plugins.disabled") or ())
    film_obj = load_film(film_path, allow_outside_refs=allow_outside_refs)
    if provider:
        from ministudio.capabilities import Operation

        manager.get_provider(provider, Operation.CLIP)  # one clear error, before any shot
        film_obj = override_provider(film_obj, provider)
    if speech:
        from ministudio.film.overrides import apply_speech_overrides

        film_obj = apply_speech_overrides(film_obj, speech)
    problems = validate_film(film_obj, manager, settings)
    if problems:
        raise ConfigError(f"{film_path.name} cannot be rendered", problems=problems)
    plan = plan_film(film_obj, manager, settings)
    if check_credentials or (check_credentials is None and (provider or not dry_run)):
        # before any speech or clip work: missing credentials spend nothing
        from ministudio.preflight import plan_providers, require_credentials

        require_credentials(manager, plan_providers(plan), env=settings.env,
                            provider_settings=settings.provider_settings())
    if max_cost is None and settings.get("render.max_cost") is not None:
        max_cost = settings.get("render.max_cost")
    if dry_run:
        return RenderResult(film=None, out_dir=out_dir, plan=plan, status="planned",
                            estimated_cost=Decimal(plan.estimated_cost), actual_cost=Decimal(0),
                            currency=plan.currency, wall_s=time.monotonic() - t0)

    state = project / STATE_DIR
    # the project lock sweeps dead renders' work folders; the out folder's lock keeps other
    # renders (of any project) out of --out and sweeps their half-written files
    with ProjectLock(state), OutFolder(out_dir, project=project):
        ledger = Ledger(state / "ledger.sqlite")
        try:
            return await _produce(
                film_obj, plan, settings=settings, manager=manager, ledger=ledger,
                store=MediaStore(state / "media"), state=state, out_dir=out_dir,
                film_path=film_path, max_cost=max_cost, concurrency=concurrency,
                force=frozenset(force), allow_gaps=allow_gaps, emit=emit,
                transport=transport, retry=retry, t0=t0, plan_film=plan_film,
            )
        finally:
            ledger.close()


async def _produce(film: Any, plan: Any, *, settings: Any, manager: Any, ledger: Ledger,
                   store: MediaStore, state: Path, out_dir: Path, film_path: Path,
                   max_cost: Any, concurrency: int | None, force: frozenset[str],
                   allow_gaps: bool, emit: Emit, transport: Any, retry: RetryPolicy | None,
                   t0: float, plan_film: Any) -> RenderResult:
    retry = retry or RetryPolicy(attempts=int(settings.get("render.attempts", 4) or 1))
    dispatcher = Dispatcher(
        manager, provider_settings=settings.provider_settings(), env=settings.env,
        retry=RetryPolicy(attempts=1), transport=transport,
        pins={k: v for k, v in {"identity": settings.get("identity.scorer")}.items() if v},
    )
    concurrency = int(concurrency or settings.get("render.concurrency", 4) or 4)
    heap.limit_arenas()  # worker threads share a few malloc arenas (see engine/heap.py)
    budget = Budget(None if max_cost is None else Decimal(str(max_cost)), plan.currency)
    pid = ledger.start_production(str(film_path), plan.title, Decimal(plan.estimated_cost))
    workdir = Path(tempfile.mkdtemp(dir=state, prefix="work-"))
    prod = Production(
        ledger=ledger, store=store, dispatcher=dispatcher, limits=Limits(concurrency),
        budget=budget, production_id=pid, settings=settings, emit=emit, workdir=workdir,
        retry=retry, force=force, pricing=settings.get("pricing") or {},
    )
    try:
        # 1. speech first, so `auto` shots are planned to fit their narration
        marks = {"speech": time.monotonic()}
        emit({"event": "speech.phase", "state": "start"})
        lines = [(_key(sp), line) for sp in _first_segments(plan) for line in sp.speech]
        speech_results = await asyncio.gather(
            *(prod.speak(shot_id, line) for shot_id, line in lines), return_exceptions=True
        )
        failures: list[ShotFailure] = []
        speech: dict[str, list[SpeechOutcome]] = {}
        for (shot_id, _line), res in zip(lines, speech_results, strict=True):
            if isinstance(res, ShotError):
                failures.append(res.failure)
            elif isinstance(res, BaseException):
                raise res
            else:
                speech.setdefault(shot_id, []).append(res)
        if any(failures):
            _raise_or_gaps(failures, allow_gaps=False, ledger=ledger, pid=pid, budget=budget)
        durations = {sid: speech_layout([s.duration_s for s in outs])[1]
                     for sid, outs in speech.items()}
        if durations:
            plan = plan_film(film, manager, settings, speech_durations=durations)

        await asyncio.to_thread(heap.trim)
        # 2. shots, through the dependency graph
        marks["shots"] = time.monotonic()
        emit({"event": "render.start", "shots": len(plan.shots), "shot_ids": _shot_ids(plan),
              "estimated_cost": str(plan.estimated_cost), "currency": plan.currency,
              "concurrency": concurrency, "production": pid})
        outcomes = await shoot_all(prod, plan.shots)
        reports: list[ShotReport] = []
        failures = []
        for sp in plan.shots:
            oc = outcomes[sp.id]
            lines_out = tuple(speech.get(_key(sp), ())) if _is_first(sp) else ()
            starts, _need = speech_layout([s.duration_s for s in lines_out])
            if oc.ok:
                reports.append(ShotReport(id=sp.id, plan=sp, outcome=_with_take(ledger, oc.result),
                                          speech=lines_out,
                                          placements=tuple(starts), status="cached"
                                          if oc.result.cached else "done",
                                          duration_s=oc.result.duration_s))
                continue
            err = oc.error
            if isinstance(err, ShotError):
                failure = err.failure
                status = "failed"
            elif isinstance(err, BlockedError):
                failure = ShotFailure(shot=sp.id, provider=sp.request.provider,
                                      stage="waiting", reason=str(err), error_type="Blocked")
                status = "blocked"
            elif isinstance(err, MinistudioError):
                failure = ShotFailure(shot=sp.id, provider=sp.request.provider,
                                      stage=getattr(err, "stage", "generate"), reason=str(err),
                                      error_type=type(err).__name__)
                status = "failed"
            else:
                raise err  # a bug: show it, do not hide it in a report
            ledger.set_shot(pid, sp.id, status, error=failure.reason)
            emit({"event": "shot", "shot": sp.id, "state": status, "reason": failure.reason})
            failures.append(failure)
            reports.append(ShotReport(id=sp.id, plan=sp, outcome=None, speech=lines_out,
                                      placements=tuple(starts), status=status, failure=failure,
                                      duration_s=float(sp.duration_s)))
        out_dir.mkdir(parents=True, exist_ok=True)
        real = [f for f in failures if f.stage != "waiting"] or failures
        if failures and not allow_gaps:
            from ministudio.engine.outputs import write_manifest, write_report

            result = _result(plan, out_dir, reports, prod, budget, pid, "failed", None, {}, t0,
                             tuple(real))
            files = {"manifest": write_manifest(result, out_dir / "manifest.json")}
            files["report"] = write_report(result, out_dir / "report.html")
            _raise_or_gaps(real, allow_gaps=False, ledger=ledger, pid=pid, budget=budget,
                           kept=sum(r.status in ("done", "cached") for r in reports),
                           missing=sum(r.status not in ("done", "cached") for r in reports))

        # 3. assemble and write the deliverables
        from ministudio.engine.outputs import write_outputs

        emit({"event": "assemble", "state": "start"})
        marks["assemble"] = time.monotonic()
        result = _result(plan, out_dir, reports, prod, budget, pid,
                         "done" if not failures else "done-with-gaps", None, {}, t0, tuple(real))
        result = attrs.evolve(result, phases_s={
            "prepare": round(marks["speech"] - t0, 3),
            "speech": round(marks["shots"] - marks["speech"], 3),
            "shots": round(marks["assemble"] - marks["shots"], 3)})
        result = await asyncio.to_thread(write_outputs, result, film_path, workdir, settings)
        ledger.finish_production(pid, result.status, budget.spent)
        emit({"event": "render.done", "status": result.status, "film": str(result.film),
              "cost": str(budget.spent), "estimated_cost": str(plan.estimated_cost),
              "currency": plan.currency, "wall_s": round(result.wall_s, 3),
              "phases_s": dict(result.phases_s),
              "provider_calls": prod.provider_calls, "files": {k: str(v) for k, v in result.files.items()},
              "gaps": [f.shot for f in failures]})
        return result
    except RenderFailedError as exc:
        emit({"event": "render.failed", "failures": [attrs.asdict(f) for f in exc.failures],
              "cost": str(budget.spent), "provider_calls": prod.provider_calls})
        raise
    except BaseException as exc:
        ledger.finish_production(pid, "failed", budget.spent, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _with_take(ledger: Ledger, out: ShotOutcome) -> ShotOutcome:
    """``out`` with the ledger attempt that delivered its clip (for the manifest)."""
    if out.take is not None:
        return out
    take = ledger.take_of(out.id, out.clip_media, out.cache_key)
    return attrs.evolve(out, take=take.attempt) if take is not None else out


def _first_segments(plan: Any) -> list[Any]:
    return [sp for sp in plan.shots if _is_first(sp)]


def _key(sp: Any) -> str:
    return str(getattr(sp, "key", None) or f"{sp.scene_id}.{sp.shot_id}")


def _is_first(sp: Any) -> bool:
    return int(getattr(sp, "segment", 1) or 1) <= 1


def _raise_or_gaps(failures: Sequence[ShotFailure], *, allow_gaps: bool, ledger: Ledger,
                   pid: int, budget: Budget, kept: int | None = None,
                   missing: int | None = None) -> None:
    err = RenderFailedError(failures, production_id=pid, kept=kept, missing=missing)
    ledger.finish_production(pid, "failed", budget.spent, error=str(err))
    raise err


def _result(plan: Any, out_dir: Path, reports: list[ShotReport], prod: Production,
            budget: Budget, pid: int, status: str, film: Path | None,
            files: Mapping[str, Path], t0: float,
            failures: tuple[ShotFailure, ...]) -> RenderResult:
    return RenderResult(
        film=film, out_dir=out_dir, plan=plan, status=status,
        estimated_cost=Decimal(plan.estimated_cost), actual_cost=budget.spent,
        currency=plan.currency, provider_calls=prod.provider_calls, production_id=pid,
        shots=tuple(reports), files=dict(files), wall_s=time.monotonic() - t0,
        failures=failures, attempts=tuple(prod.ledger.attempts(pid)),
    )
