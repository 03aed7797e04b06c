"""The one cattrs converter MiniStudio uses to turn records into JSON-able data and back.

``structure`` wraps cattrs' validation errors into a :class:`~ministudio.errors.ConfigError`
whose ``problems`` are ``transform_error`` lines (``expected an int @ $.scenes[0].shots[1]``).
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter

from ministudio.errors import ConfigError

__all__ = ["converter", "structure", "unstructure"]

T = TypeVar("T")

converter: cattrs.Converter = make_converter(forbid_extra_keys=True, omit_if_default=False)
converter.register_unstructure_hook(Path, str)
converter.register_structure_hook(Path, lambda v, _t: Path(v))
converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, lambda v, _t: Decimal(str(v)))
converter.register_unstructure_hook(date, lambda d: d.isoformat())
converter.register_structure_hook(
    date, lambda v, _t: v if isinstance(v, date) else date.fromisoformat(str(v))
)
converter.register_unstructure_hook(MappingProxyType, dict)
converter.register_unstructure_hook(frozenset, lambda s: sorted(converter.unstructure(x) for x in s))
converter.register_unstructure_hook(enum.Enum, lambda e: e.value)


def unstructure(obj: Any) -> Any:
    """A record as plain JSON-able data."""
    return converter.unstructure(obj)


def structure(data: Any, cls: type[T], *, what: str = "data") -> T:
    """Build ``cls`` from plain data or raise ConfigError listing every problem."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            problems = cattrs.transform_error(exc, path="$")
        else:
            problems = [str(exc)]
        raise ConfigError(f"invalid {what}", problems=problems) from exc
