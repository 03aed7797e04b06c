"""Effective prices: what a model declares, overridden by the user's ``[pricing]`` settings.

A user override looks like::

    [pricing.vertex."veo-3.1-generate-001"]
    per_second = "0.40"
    as_of = 2026-12-01
    source = "my contract"
    rules = [{resolution = "4k", per_second = "0.60"}, {audio = false, per_second = "0.20"}]

``rules`` (when given) replace the declared ones; see :class:`~ministudio.capabilities.Pricing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ministudio.capabilities import Pricing
from ministudio.converter import structure, unstructure

__all__ = ["effective_pricing", "estimate_cost"]


def effective_pricing(
    provider: str, model: str, declared: Pricing | None, pricing_settings: Mapping[str, Any]
) -> Pricing | None:
    """The declared price with any user override applied (source marked ``settings``)."""
    override = (pricing_settings.get(provider) or {}).get(model)
    if not override:
        return declared
    base = unstructure(declared) if declared else {}
    merged = {**{k: v for k, v in base.items() if v is not None}, **override}
    merged.setdefault("source", "settings")
    return structure(merged, Pricing, what=f"pricing.{provider}.{model}")


def estimate_cost(
    pricing: Pricing | None, *, seconds: float = 0.0, chars: int = 0, request: Any = None
) -> Decimal | None:
    """Cost of one call, or ``None`` when the price is unknown. With ``request`` (a
    ``ClipRequest`` or ``SpeechRequest``) the price rules for its resolution and audio apply."""
    if pricing is None:
        return None
    if request is not None:
        return pricing.estimate_request(request)
    return pricing.estimate(seconds=seconds, chars=chars)
