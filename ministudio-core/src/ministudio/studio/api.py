"""The studio's HTTP API (JSON; events as server-sent events). The pages use it; so can scripts.

Each endpoint's docstring carries its OpenAPI description after ``---`` (Starlette's
``SchemaGenerator`` reads them; :mod:`ministudio.studio.openapi` serves the document). Films
are named by their path relative to the studio folder (``hello/film.yaml``).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import ConfigError, MinistudioError
from ministudio.log import get_logger
from ministudio.studio.films import (
    FILM_NAMES,
    PathRefused,
    check_text,
    film_info,
    find_films,
    inside,
    last_render,
    located,
    media_path,
    plan_doc,
    public_url,
    takes,
)
from ministudio.studio.runs import ACTIVE, RenderBusy, RunManager
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = ["ApiError", "Studio", "api_routes"]

log = get_logger(__name__)

MAX_BODY = 3 * 1024 * 1024


class ApiError(MinistudioError):
    """A bad request, answered with ``status`` and ``{"error": message, **extra}``."""

    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


@attrs.define(eq=False)
class Studio:
    """What the server knows: its folder, settings, plugins and renders."""

    root: Path
    runs: RunManager
    overrides: tuple[str, ...] = ()
    _settings: dict[Path, Any] = attrs.field(factory=dict)
    _manager: Any = None
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def settings(self, folder: Path | None = None) -> Any:
        from ministudio.config import load_settings

        key = (folder or self.root).resolve()
        with self._lock:
            if key not in self._settings:
                self._settings[key] = load_settings(project_dir=key, overrides=self.overrides)
            return self._settings[key]

    def manager(self) -> Any:
        with self._lock:
            if self._manager is None:
                from ministudio.plugins import PluginManager

                settings = self._settings.get(self.root.resolve())
                if settings is None:
                    from ministudio.config import load_settings

                    settings = load_settings(project_dir=self.root, overrides=self.overrides)
                self._manager = PluginManager(env=settings.env,
                                              disabled=settings.get("plugins.disabled") or ())
            return self._manager

    def film_path(self, rel: str, *, must_exist: bool = True) -> Path:
        """The film file named by ``rel``, inside the studio folder."""
        path = inside(self.root, rel, must_exist=must_exist)
        if not FILM_NAMES.match(path.name):
            raise ApiError(f"{rel[:80]!r}: not a film file (film.yaml, film.toml, film.json or "
                           "NAME.film.yaml)", 400)
        if must_exist and not path.is_file():
            raise PathRefused(f"{rel[:80]!r}: not a film file", 404)
        return path

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.root.resolve()).as_posix()


def studio_of(request: Request) -> Studio:
    return request.app.state.studio  # type: ignore[no-any-return]


async def body_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(f"body too large (at most {MAX_BODY} bytes)", 413)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError("the body must be JSON", 400) from None
    if not isinstance(data, dict):
        raise ApiError("the body must be a JSON object", 400)
    return data


def _text_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ApiError(f"'{name}' must be text", 400)
    return value


def _problems_response(message: str, problems: list[str], status: int = 422) -> JSONResponse:
    return JSONResponse({"error": message, "problems": [located(p) for p in problems]},
                        status_code=status)


def _title_of(path: Path) -> str | None:
    """The film's title, read with the film loader's bounded parser (no alias bombs)."""
    from ministudio.film.bounds import MAX_FILE_BYTES
    from ministudio.film.loader import SUFFIXES, parse_film_data

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data, _lines, _problems = parse_film_data(
            path.read_text(encoding="utf-8"), SUFFIXES.get(path.suffix.lower(), "yaml"), path.name)
    except Exception:  # an unreadable film still gets listed, without a title
        return None
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else None


def _thumbnail(studio: Studio, film: Path, last: dict[str, Any] | None) -> str | None:
    if last and last["files"].get("contact_sheet"):
        return str(last["files"]["contact_sheet"])
    refs = film.parent / "refs"
    if refs.is_dir():
        for img in sorted(refs.glob("*.png")):
            return public_url(studio.root, img)
    return None


# -- endpoints ----------------------------------------------------------------------------------


async def projects(request: Request) -> JSONResponse:
    """The films in the studio folder.
    ---
    summary: List the films in the studio folder
    description: Each film with its title, last render (status, cost, time), a thumbnail URL
      and the id of a render in progress.
    responses:
      200: {description: "[{film, title, folder, thumbnail, last_render, rendering}]"}
    """
    studio = studio_of(request)

    def collect() -> list[dict[str, Any]]:
        rows = []
        for rel in find_films(studio.root):
            path = studio.root.resolve() / rel
            last = last_render(studio.root, path)
            active = studio.runs.active_for(path.parent)
            rows.append({
                "film": rel, "title": _title_of(path) or rel, "folder": Path(rel).parent.as_posix(),
                "thumbnail": _thumbnail(studio, path, last),
                "last_render": None if last is None else {
                    "status": last["status"], "cost": last["cost"], "created": last["created"],
                    "film": last["files"].get("film")},
                "rendering": active.id if active and active.film == path else None,
            })
        return rows

    return JSONResponse({"root": studio.root.name, "films": await run_in_threadpool(collect)})


async def get_film(request: Request) -> JSONResponse:
    """A film's text, its problems and its characters and environments.
    ---
    summary: Read a film
    parameters:
      - {name: film, in: path, required: true, description: "film path in the studio folder",
         schema: {type: string}}
    responses:
      200: {description: "{film, text, ok, problems: [{line, col, path, message}], info}"}
      403: {description: outside the studio folder}
      404: {description: no such film}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    text = path.read_text(encoding="utf-8", errors="replace")

    def check() -> tuple[Any, list[str]]:
        return check_text(text, path, studio.manager(), studio.settings(path.parent))

    film, problems = await run_in_threadpool(check)
    return JSONResponse({"film": studio.rel(path), "text": text, "ok": not problems,
                         "problems": [located(p) for p in problems],
                         "info": film_info(studio.root, film) if film is not None else None})


async def put_film(request: Request) -> JSONResponse:
    """Save a film's text (it is saved even with problems, which are returned).
    ---
    summary: Save a film
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: {type: object, required: [text], properties: {text: {type: string}}}
    responses:
      200: {description: "{film, saved: true, ok, problems, info}"}
      400: {description: not a film file name or not JSON}
      403: {description: outside the studio folder}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"], must_exist=False)
    text = _text_field(await body_json(request), "text")
    assert text is not None
    _write_atomic(path, text)

    def check() -> tuple[Any, list[str]]:
        return check_text(text, path, studio.manager(), studio.settings(path.parent))

    film, problems = await run_in_threadpool(check)
    log.info("studio.film.saved", film=studio.rel(path), problems=len(problems))
    return JSONResponse({"film": studio.rel(path), "saved": True, "ok": not problems,
                         "problems": [located(p) for p in problems],
                         "info": film_info(studio.root, film) if film is not None else None})


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.partial-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def validate(request: Request) -> JSONResponse:
    """Check film text as typed (nothing is saved).
    ---
    summary: Validate film text
    description: The loader's problems, each with its line (and column when known), then the
      provider and capability checks once the loader accepts the text.
    parameters:
      - {name: film, in: path, required: true, description: "where the text would be saved
         (references resolve from its folder)", schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema: {type: object, required: [text], properties: {text: {type: string}}}
    responses:
      200: {description: "{ok, problems: [{line, col, path, message, text}], info}"}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"], must_exist=False)
    text = _text_field(await body_json(request), "text")
    assert text is not None

    def check() -> tuple[Any, list[str]]:
        return check_text(text, path, studio.manager(), studio.settings(path.parent))

    film, problems = await run_in_threadpool(check)
    return JSONResponse({"ok": not problems, "problems": [located(p) for p in problems],
                         "info": film_info(studio.root, film) if film is not None else None})


def _plan(studio: Studio, path: Path, provider: str | None = None) -> tuple[Any, Any]:
    """Load, validate and plan a saved film (raises ConfigError listing every problem)."""
    from ministudio.compile import plan_film
    from ministudio.film import load_film, validate_film

    manager, settings = studio.manager(), studio.settings(path.parent)
    film = load_film(path)
    if provider:
        from ministudio.capabilities import Operation
        from ministudio.engine.render import override_provider

        manager.get_provider(provider, Operation.CLIP)
        film = override_provider(film, provider)
    problems = validate_film(film, manager, settings)
    if problems:
        raise ConfigError(f"{path.name} cannot be rendered", problems=problems)
    return film, plan_film(film, manager, settings)


async def plan(request: Request) -> JSONResponse:
    """The storyboard: every clip with its shot type, camera, duration, prompt, speech,
    provider/model and estimated cost, and the totals. Spends nothing.
    ---
    summary: Plan a film
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
      - {name: provider, in: query, required: false, description: use this video provider for
         every shot, schema: {type: string}}
    responses:
      200: {description: "the `ministudio plan --json` document (docs/plan-json.md), each clip
        with shot_type, camera, action and images"}
      422: {description: "the film has problems: {error, problems}"}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    provider = request.query_params.get("provider") or None
    film, result = await run_in_threadpool(_plan, studio, path, provider)
    return JSONResponse({"film": studio.rel(path), **plan_doc(studio.root, path, film, result)})


async def output(request: Request) -> JSONResponse:
    """The last render of a film: status, cost, files (as URLs) and every shot of its manifest.
    ---
    summary: Last render's outputs
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: "{status, cost, files: {film, srt, vtt, timeline, report, manifest,
        contact_sheet}, shots: [manifest shot + clip_url]}"}
      404: {description: the film was never rendered}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    last = await run_in_threadpool(last_render, studio.root, path)
    if last is None:
        raise ApiError(f"{studio.rel(path)} has not been rendered yet", 404)
    return JSONResponse({"film": studio.rel(path), **last})


def _media_url(film_rel: str, name: str | None) -> str | None:
    from urllib.parse import quote

    return None if not name else f"/api/media/{quote(film_rel)}?name={quote(name)}"


async def shot_takes(request: Request) -> JSONResponse:
    """Every take of one shot the project's ledger holds (all renders, identity-gate attempts
    included), newest first, with its identity scores and crops, and which one the last
    render kept.
    ---
    summary: A shot's takes
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
      - {name: shot, in: query, required: true, description: "shot id (scene.shot)",
         schema: {type: string}}
    responses:
      200: {description: "{shot, takes: [{attempt, production, seed, status, cost, kept,
        picked, current, url, identity: {character: {score, threshold, passed, kind,
        crop_url}}}]}: `kept` the last render's take, `picked` the one chosen with POST
        /api/pick, `current` made for the shot as it is now (a pick of another is ignored)"}
    """
    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    shot = request.query_params.get("shot")
    if not shot:
        raise ApiError("'shot' is required, e.g. ?shot=scene.shot")
    rows = await _takes_rows(studio, path, shot)
    rel = studio.rel(path)
    for row in rows:
        row["url"] = _media_url(rel, row.pop("media"))
        for rec in row["identity"].values():
            rec["crop_url"] = _media_url(rel, rec.pop("crop"))
    return JSONResponse({"film": rel, "shot": shot, "takes": rows})


def _attempt(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ApiError("'attempt' must be a take's attempt number (from GET /api/takes), or "
                       "null to forget the pick")
    return value


async def pick_take(request: Request) -> JSONResponse:
    """Choose a take of a shot for the film (or forget the pick): the next render uses it
    without a provider call. Nothing is rendered here; start a render to see it in the film.
    ---
    summary: Pick a shot's take
    description: The shots continuing from this one start from the picked take's last
      frame, so the next render generates them again (unless that exact request is cached);
      `regenerates` names them with their estimated cost. A pick is ignored by a render
      while the shot differs from the one the take was made for (its prompt, provider or
      start frame changed); `current` says whether it matches the last render's shot.
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [shot, attempt]
            properties:
              shot: {type: string, description: "shot id (scene.shot)"}
              attempt: {type: integer, nullable: true, description: "the take's attempt
                number from GET /api/takes; null forgets the pick"}
    responses:
      200: {description: "{film, shot, picked: {attempt} or null, current, render_needed,
        regenerates: [shot ids], estimated_cost, currency}"}
      400: {description: not a take of that shot}
      404: {description: the film was never rendered}
      422: {description: the film has problems}
    """
    from ministudio.engine.ledger import Ledger
    from ministudio.engine.picks import continuing

    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    data = await body_json(request)
    shot = _text_field(data, "shot")
    assert shot is not None
    if "attempt" not in data:
        raise ApiError("'attempt' is required (null forgets the pick)")
    attempt = _attempt(data.get("attempt"))
    ledger_path = path.parent / ".ministudio" / "ledger.sqlite"
    if not ledger_path.is_file():
        raise ApiError(f"{studio.rel(path)} has not been rendered yet: no takes", 404)
    _film, result = await run_in_threadpool(_plan, studio, path, None)
    if shot not in {sp.id for sp in result.shots}:
        raise ApiError(f"no shot {shot[:80]!r} in {studio.rel(path)}")

    def write() -> Any:
        ledger = Ledger(ledger_path)
        try:
            if attempt is None:
                return None, ledger.clear_pick(shot)
            try:
                return ledger.pick_take(shot, attempt), True
            except KeyError:
                raise ApiError(f"{shot}: no take {attempt} (see GET /api/takes)") from None
        finally:
            ledger.close()

    chosen, changed = await run_in_threadpool(write)
    current = False
    if chosen is not None:
        rows = await _takes_rows(studio, path, shot)
        current = any(r["current"] for r in rows if r["attempt"] == chosen.attempt)
    follow = continuing(result.shots, shot)
    cost = sum((Decimal(sp.estimated_cost or 0) for sp in follow), Decimal(0))
    log.info("studio.take.picked", film=studio.rel(path), shot=shot, attempt=attempt)
    return JSONResponse({
        "film": studio.rel(path), "shot": shot,
        "picked": None if chosen is None else {"attempt": chosen.attempt},
        "current": current, "render_needed": bool(changed),
        "regenerates": [sp.id for sp in follow], "estimated_cost": str(cost),
        "currency": result.currency})


async def _takes_rows(studio: Studio, path: Path, shot: str) -> list[dict[str, Any]]:
    """:func:`~ministudio.studio.films.takes` for ``shot`` against the last render."""
    last = await run_in_threadpool(last_render, studio.root, path)
    record = next((s for s in (last or {}).get("shots", []) if s.get("id") == shot), {})
    tolerance = studio.settings(path.parent).get("render.pick_duration_tolerance_s")
    return await run_in_threadpool(
        lambda: takes(path, shot, record.get("clip_sha256"),
                      kept_attempt=(record.get("take") or {}).get("attempt"),
                      production=(last or {}).get("production_id"),
                      current_key=record.get("cache_key"),
                      tolerance=None if tolerance is None else float(tolerance)))


async def stored_media(request: Request) -> Response:
    """A stored take or identity crop of the film's project, by its content name.
    ---
    summary: A stored take or crop
    parameters:
      - {name: film, in: path, required: true, schema: {type: string}}
      - {name: name, in: query, required: true, description: "stored name (ab/abcdef....mp4)
         from GET /api/takes", schema: {type: string}}
    responses:
      200: {description: the file}
      403: {description: not a stored media name}
      404: {description: not stored}
    """
    from ministudio.studio.app import FILE_CSP
    from starlette.responses import FileResponse

    studio = studio_of(request)
    path = studio.film_path(request.path_params["film"])
    media = media_path(path, request.query_params.get("name", ""))
    return FileResponse(media, headers={"content-security-policy": FILE_CSP,
                                        "cache-control": "private, max-age=86400"})


async def draft(request: Request) -> JSONResponse:
    """Draft a new film from a description in plain words (offline by default).
    ---
    summary: Draft a film
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [text, folder]
            properties:
              text: {type: string, description: the film in a few sentences}
              folder: {type: string, description: "a new folder in the studio folder; the
                film is written to FOLDER/film.yaml with placeholder portraits"}
              provider: {type: string, description: "a drafting provider (default: outline,
                offline)"}
    responses:
      201: {description: "{film, title, problems}"}
      409: {description: the folder already holds a film}
    """
    studio = studio_of(request)
    data = await body_json(request)
    text = _text_field(data, "text")
    folder = _text_field(data, "folder")
    provider = _text_field(data, "provider", required=False)
    assert text is not None and folder is not None
    if not text.strip():
        raise ApiError("'text' is empty: describe the film in a sentence or two", 400)
    target = inside(studio.root, folder, must_exist=False)
    film_path = target / "film.yaml"
    if film_path.exists():
        raise ApiError(f"{studio.rel(film_path)} exists: pick a new folder", 409)

    def run() -> Any:
        from ministudio.draft import draft_to_file

        return draft_to_file(text, film_path, provider=provider)

    outcome = await run_in_threadpool(run)
    return JSONResponse({"film": studio.rel(film_path), "title": outcome.film.title},
                        status_code=201)


def _money(value: Any) -> str | None:
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ApiError(f"max_cost: {str(value)[:20]!r} is not an amount, e.g. 12.50") from None
    if not amount.is_finite() or amount < 0:
        raise ApiError("max_cost must be 0 or more")
    return str(amount)


async def create_render(request: Request) -> JSONResponse:
    """Start a render (a `ministudio render FILM --json` process), from a saved film or from
    YAML text written to the film path first.
    ---
    summary: Start a render
    description: A render that costs money needs `confirm true`; without it the answer is 428
      with the estimate, and nothing is spent. One render per project at a time (409); beyond
      `studio.max_renders` renders wait as `queued`. A render killed at any point is resumed
      by the next one (finished shots come from the cache).
    requestBody:
      content:
        application/json:
          schema:
            type: object
            required: [film]
            properties:
              film: {type: string, description: film path in the studio folder}
              yaml: {type: string, description: film text to save at `film` before rendering}
              force: {type: array, items: {type: string}, description: "shots to generate
                again (scene.shot or shot id)"}
              confirm: {type: boolean, description: spend the estimated cost}
              max_cost: {type: string, description: stop before spending more (USD)}
              concurrency: {type: integer}
              provider: {type: string, description: use this video provider for every shot}
              allow_gaps: {type: boolean}
    responses:
      202: {description: "the render's status (see GET /api/renders/{id}) and its links"}
      409: {description: this project is already rendering}
      422: {description: the film has problems}
      428: {description: "the render costs money: {error, estimated_cost, currency}"}
    """
    studio = studio_of(request)
    data = await body_json(request)
    rel = _text_field(data, "film")
    assert rel is not None
    yaml_text = _text_field(data, "yaml", required=False)
    path = studio.film_path(rel, must_exist=yaml_text is None)
    force = data.get("force") or []
    if not isinstance(force, list) or not all(isinstance(s, str) and s for s in force):
        raise ApiError("'force' must be a list of shot ids", 400)
    provider = _text_field(data, "provider", required=False)
    max_cost = _money(data.get("max_cost"))
    concurrency = data.get("concurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or isinstance(
            concurrency, bool) or not 1 <= concurrency <= 64):
        raise ApiError("'concurrency' must be a whole number from 1 to 64")
    busy = studio.runs.active_for(path.parent)
    if busy is not None:
        raise RenderBusy(f"{studio.rel(path)}: this project is already rendering "
                         f"({busy.kind} {busy.id})", hint="wait for it to finish or cancel it")
    if yaml_text is not None:
        film_obj, problems = await run_in_threadpool(
            check_text, yaml_text, path, studio.manager(), studio.settings(path.parent))
        if problems or film_obj is None:
            return _problems_response(f"{rel}: the film has problems; nothing was saved",
                                      problems)
        _write_atomic(path, yaml_text)
    _film, result = await run_in_threadpool(_plan, studio, path, provider)
    shot_ids = {s.id for s in result.shots} | {s.key for s in result.shots} | {
        s.shot_id for s in result.shots}
    unknown = [s for s in force if s not in shot_ids]
    if unknown:
        raise ApiError(f"force: no shot {', '.join(unknown)} in {studio.rel(path)}", 400)
    estimate = Decimal(result.estimated_cost)
    if estimate > 0 and data.get("confirm") is not True:
        raise ApiError(f"this render is estimated at {estimate:.2f} {result.currency}; send "
                       "confirm: true to spend it (cached shots cost nothing)", 428,
                       estimated_cost=str(estimate), currency=result.currency,
                       shots=len(result.shots))
    run = studio.runs.start(path, studio.rel(path), force=force, max_cost=max_cost,
                            concurrency=concurrency, provider=provider,
                            allow_gaps=data.get("allow_gaps") is True)
    return JSONResponse({**run.summary(), "links": _links(run.id)}, status_code=202)


def _links(run_id: str) -> dict[str, str]:
    return {"status": f"/api/renders/{run_id}", "events": f"/api/renders/{run_id}/events",
            "cancel": f"/api/renders/{run_id}/cancel"}


async def list_renders(request: Request) -> JSONResponse:
    """The studio's renders since it started, newest first.
    ---
    summary: List renders
    parameters:
      - {name: film, in: query, required: false, description: only this film's renders,
         schema: {type: string}}
      - {name: active, in: query, required: false, description: "1: only queued or running",
         schema: {type: string}}
    responses:
      200: {description: "{renders: [status]}"}
    """
    studio = studio_of(request)
    film = request.query_params.get("film")
    active = request.query_params.get("active") in ("1", "true", "yes")
    rows = [r for r in studio.runs.runs.values()
            if (film is None or r.rel == film) and (not active or r.state in ACTIVE)]
    rows.sort(key=lambda r: r.created, reverse=True)
    return JSONResponse({"renders": [{**r.summary(), "links": _links(r.id)} for r in rows]})


def _run(request: Request) -> Any:
    run = studio_of(request).runs.runs.get(request.path_params["run"])
    if run is None:
        raise ApiError(f"no render {request.path_params['run'][:40]!r}", 404)
    return run


async def get_render(request: Request) -> JSONResponse:
    """A render's status: state (queued, running, done, failed, cancelled), phase, every
    shot's state, attempt, cost and identity scores, the cost so far and an ETA.
    ---
    summary: Render status
    parameters:
      - {name: run, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: "{id, film, state, phase, shots, cost, estimated_cost, eta_s, error,
        result}"}
      404: {description: no such render}
    """
    run = _run(request)
    return JSONResponse({**run.summary(), "links": _links(run.id)})


async def render_events(request: Request) -> StreamingResponse:
    """The render's progress events, the same as `ministudio render --json` prints, from the
    first one, then live until it ends.
    ---
    summary: Stream a render's events
    description: "Server-sent events: each `data:` is one event object (`id:` its index, so
      `Last-Event-ID` resumes); a last `end` event carries the render's status. With
      `format=jsonl`, one JSON event per line instead (for scripts: `curl -N`)."
    parameters:
      - {name: run, in: path, required: true, schema: {type: string}}
      - {name: format, in: query, required: false, schema: {type: string, enum: [sse, jsonl]}}
      - {name: from, in: query, required: false, description: first event index,
         schema: {type: integer}}
    responses:
      200: {description: "text/event-stream (or application/x-ndjson)"}
      404: {description: no such render}
    """
    return stream_events(request, studio_of(request).runs, _run(request))


def stream_events(request: Request, runs: RunManager, run: Any) -> StreamingResponse:
    """A run's (render's or batch's) events as SSE or JSON lines, then an ``end`` event."""
    jsonl = request.query_params.get("format") == "jsonl"
    try:
        start = int(request.headers.get("last-event-id", "-1")) + 1
        start = max(start, int(request.query_params.get("from", "0")))
    except ValueError:
        raise ApiError("'from' and Last-Event-ID must be whole numbers") from None

    async def stream() -> Any:
        async for i, event in runs.follow(run, start):
            if event is None:
                if not jsonl:
                    yield ": still running\n\n"
                continue
            data = json.dumps(event, default=str)
            yield f"{data}\n" if jsonl else f"id: {i}\ndata: {data}\n\n"
        end = {"event": "end", "state": run.state, "error": run.error, "id": run.id}
        yield (json.dumps(end) + "\n") if jsonl else f"event: end\ndata: {json.dumps(end)}\n\n"

    media = "application/x-ndjson" if jsonl else "text/event-stream"
    return StreamingResponse(stream(), media_type=media,
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def cancel_render(request: Request) -> JSONResponse:
    """Cancel a render: its process is terminated; finished shots stay cached.
    ---
    summary: Cancel a render
    parameters:
      - {name: run, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: the render's status}
      404: {description: no such render}
    """
    studio = studio_of(request)
    run = _run(request)
    if run.state in ACTIVE:
        await studio.runs.cancel(run)
    return JSONResponse({**run.summary(), "links": _links(run.id)})


def api_routes() -> list[Route]:
    from ministudio.studio.batches import batch_routes
    from ministudio.studio.openapi import openapi_json

    return [
        Route("/projects", projects, methods=["GET"]),
        Route("/film/{film:path}", get_film, methods=["GET"]),
        Route("/film/{film:path}", put_film, methods=["PUT"]),
        Route("/validate/{film:path}", validate, methods=["POST"]),
        Route("/plan/{film:path}", plan, methods=["GET"]),
        Route("/output/{film:path}", output, methods=["GET"]),
        Route("/takes/{film:path}", shot_takes, methods=["GET"]),
        Route("/media/{film:path}", stored_media, methods=["GET"]),
        Route("/pick/{film:path}", pick_take, methods=["POST"]),
        Route("/draft", draft, methods=["POST"]),
        Route("/renders", create_render, methods=["POST"]),
        Route("/renders", list_renders, methods=["GET"]),
        Route("/renders/{run}", get_render, methods=["GET"]),
        Route("/renders/{run}/events", render_events, methods=["GET"]),
        Route("/renders/{run}/cancel", cancel_render, methods=["POST"]),
        *batch_routes(),
        Route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False),
    ]


def error_response(exc: BaseException) -> Response:
    """Every refusal as JSON ``{"error": ...}``; never a traceback."""
    from starlette.exceptions import HTTPException

    if isinstance(exc, ApiError):
        return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status)
    if isinstance(exc, PathRefused):
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    if isinstance(exc, RenderBusy):
        return JSONResponse({"error": exc.message, "hint": exc.hint}, status_code=409)
    if isinstance(exc, ConfigError):
        return _problems_response(exc.message, list(exc.problems) or [exc.message])
    if isinstance(exc, MinistudioError):
        body = {"error": exc.message}
        if exc.hint:
            body["hint"] = exc.hint
        return JSONResponse(body, status_code=400)
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": exc.detail or "error"}, status_code=exc.status_code,
                            headers=exc.headers)
    log.error("studio.error", error_type=type(exc).__name__, exc_info=exc)
    return JSONResponse({"error": f"internal error ({type(exc).__name__}); see the studio's "
                         "log"}, status_code=500)
