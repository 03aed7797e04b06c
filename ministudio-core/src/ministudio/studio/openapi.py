"""The API's OpenAPI document, generated from the endpoints' docstrings (Starlette's
``SchemaGenerator``), served as JSON and described by a plain HTML page (no CDN)."""

from __future__ import annotations

from typing import Any

from ministudio import __version__
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.schemas import SchemaGenerator

__all__ = ["openapi_document", "openapi_json"]

BASE: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "MiniStudio Studio API",
        "version": __version__,
        "description": "Write, plan, render and watch films in a studio folder. Every request "
                       "needs the token printed by `ministudio studio`: `Authorization: Bearer "
                       "TOKEN`, or the cookie set by opening the printed URL. Errors are JSON "
                       "`{\"error\": message}`.",
    },
    "components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"},
        "cookie": {"type": "apiKey", "in": "cookie", "name": "ministudio_studio"},
    }},
    "security": [{"bearer": []}, {"cookie": []}],
}


def openapi_document(routes: list[Any]) -> dict[str, Any]:
    """The document for ``routes`` (the app's, with the API mounted at ``/api``)."""
    schema = SchemaGenerator(BASE).get_schema(routes=routes)
    schema.setdefault("paths", {})
    return schema


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document(request.app.routes))
