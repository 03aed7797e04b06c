"""The studio as one Starlette app: pages (server-rendered, a little plain JS), the API under
``/api``, package assets under ``/static`` and the studio folder's media under ``/files``,
all behind :class:`~ministudio.studio.security.Guard`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ministudio.studio.api import MAX_BODY, Studio, api_routes, error_response
from ministudio.studio.films import PathRefused, inside
from ministudio.studio.openapi import openapi_document
from ministudio.studio.runs import RunManager
from ministudio.studio.security import Guard
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

__all__ = ["SERVED", "create_app"]

HERE = Path(__file__).resolve().parent
#: what ``/files`` serves (by suffix); film files go through the API, settings and ``.env``
#: files never (hidden names are refused anyway)
SERVED = {".mp4", ".webm", ".mov", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".wav", ".mp3",
          ".m4a", ".ogg", ".flac", ".srt", ".vtt", ".otio", ".html", ".json"}
#: a served file is a sandboxed document: a report's scripts cannot reach the API
FILE_CSP = ("sandbox; default-src 'none'; img-src 'self' data:; media-src 'self' data:; "
            "style-src 'unsafe-inline'; font-src data:")
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; "
            "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")

templates = Jinja2Templates(directory=str(HERE / "templates"))


def _page(name: str, title: str):  # type: ignore[no-untyped-def]
    async def page(request: Request) -> Response:
        studio: Studio = request.app.state.studio
        film = request.path_params.get("film")
        context: dict[str, Any] = {"page": name, "title": title, "film": None,
                                   "root": studio.root.name}
        if film is not None:
            try:
                studio.film_path(film)
            except PathRefused as exc:
                return _error_page(request, exc.status, exc.message)
            except Exception as exc:  # ApiError: not a film name
                return _error_page(request, 400, str(exc))
            context.update(film=film, film_url=quote(film), title=f"{title}: {film}")
        if name == "apidocs":
            context["doc"] = openapi_document(request.app.routes)
        response = templates.TemplateResponse(request, f"{name}.html", context)
        response.headers["content-security-policy"] = PAGE_CSP
        response.headers["cache-control"] = "no-store"
        return response

    page.__name__ = f"{name}_page"
    return page


def _error_page(request: Request, status: int, message: str) -> Response:
    response = templates.TemplateResponse(
        request, "error.html", {"page": "error", "title": str(status), "film": None,
                                "status": status, "message": message}, status_code=status)
    response.headers["content-security-policy"] = PAGE_CSP
    return response


async def files(request: Request) -> Response:
    """A file from inside the studio folder: media, subtitles, timelines, reports."""
    studio: Studio = request.app.state.studio
    path = inside(studio.root, request.path_params["path"])
    if not path.is_file():
        raise PathRefused("not a file", 404)
    if path.suffix.lower() not in SERVED:
        raise PathRefused(f"{path.suffix or 'this kind of file'}: not served by the studio", 403)
    headers = {"content-security-policy": FILE_CSP, "cache-control": "no-cache"}
    if request.query_params.get("download"):
        headers["content-disposition"] = f"attachment; filename*=UTF-8''{quote(path.name)}"
    media_type = "text/vtt" if path.suffix.lower() == ".vtt" else None
    return FileResponse(path, headers=headers, media_type=media_type)


async def _errors(request: Request, exc: Exception) -> Response:
    accepts_html = "text/html" in request.headers.get("accept", "")
    if (accepts_html and not request.url.path.startswith(("/api/", "/files/"))
            and isinstance(exc, HTTPException)):
        return _error_page(request, exc.status_code, str(exc.detail))
    return error_response(exc)


def create_app(root: str | Path, *, token: str, hosts: set[str],
               overrides: tuple[str, ...] = (), max_renders: int = 2,
               runs: RunManager | None = None) -> Any:
    """The studio for the folder ``root``, behind the token/host/origin guard (an ASGI app)."""
    root = Path(root).resolve()
    if runs is None:
        global_args: list[str] = []
        for item in overrides:
            global_args += ["--set", item]
        runs = RunManager(max_renders=max_renders, global_args=global_args)
    studio = Studio(root=root, runs=runs, overrides=tuple(overrides))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await studio.runs.shutdown()

    from ministudio.errors import MinistudioError

    routes = [
        Route("/", _page("projects", "Projects"), include_in_schema=False),
        Route("/edit/{film:path}", _page("edit", "Edit"), include_in_schema=False),
        Route("/plan/{film:path}", _page("plan", "Plan"), include_in_schema=False),
        Route("/render/{film:path}", _page("render", "Render"), include_in_schema=False),
        Route("/watch/{film:path}", _page("watch", "Watch"), include_in_schema=False),
        Route("/docs/api", _page("apidocs", "API"), include_in_schema=False),
        Route("/batch", _page("batch", "Batch"), include_in_schema=False),
        Route("/files/{path:path}", files, include_in_schema=False),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
        Mount("/api", routes=api_routes()),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, max_body_size=MAX_BODY,
                    exception_handlers={MinistudioError: _errors, HTTPException: _errors,
                                        Exception: _errors})
    app.state.studio = studio
    return Guard(app, token=token, hosts=hosts)
