"""JSON Schema of the film format, generated from the attrs model (for editor completion).

``python -m ministudio.film.schema > docs/film.schema.json`` regenerates the published file;
a test checks that it is up to date.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ministudio.film import model as m
from ministudio.film.presets import CINEMATOGRAPHY_PRESETS, STYLE_PRESETS

__all__ = ["film_schema"]

_ENUMS = {("Style", "preset"): list(STYLE_PRESETS), ("Shot", "preset"): list(CINEMATOGRAPHY_PRESETS)}


def _type(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is Path:
        return {"type": "string", "description": "a path relative to the film file"}
    if tp == m.Duration:
        return {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"const": "auto"}]}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [e.value for e in tp]}
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return {"anyOf": [_type(inner[0], defs), {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _type(args[0], defs)}
    if origin is Mapping:
        return {"type": "object", "additionalProperties": _type(args[1], defs)}
    if attrs.has(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}
            defs[name] = _record(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no schema for {tp!r}")


def _record(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    attrs.resolve_types(cls)
    props: dict[str, Any] = {}
    required = []
    for f in attrs.fields(cls):
        if f.metadata.get("internal"):
            continue
        schema = _type(f.type, defs)
        if (cls.__name__, f.name) in _ENUMS:
            schema = {"anyOf": [{"enum": _ENUMS[(cls.__name__, f.name)]}, {"type": "null"}]}
        props[f.name] = schema
        if f.default is attrs.NOTHING:
            required.append(f.name)
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if cls.__doc__:
        out["description"] = " ".join(cls.__doc__.split("\n\n")[0].split())
    if required:
        out["required"] = required
    return out


def film_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    root = _record(m.Film, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ministudio.dev/schema/film.schema.json",
        "title": "MiniStudio film",
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def main() -> None:
    print(json.dumps(film_schema(), indent=2))


if __name__ == "__main__":
    main()
