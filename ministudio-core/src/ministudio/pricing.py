"""Effective prices: what a model declares, overridden by the user's ``[pricing]`` settings.

A user override looks like::

    [pricing.vertex."veo-3.1-generate-001"]
    per_second = "0.40"
    as_of = 2026-12-01
    source = "my contract"
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from ministudio.capabilities import Pricing
from ministudio.converter import structure

__all__ = ["effective_pricing", "estimate_cost"]


def effective_pricing(
    provider: str, model: str, declared: Pricing | None, pricing_settings: Mapping[str, Any]
) -> Pricing | None:
    """The declared price with any user override applied (source marked ``settings``)."""
    override = (pricing_settings.get(provider) or {}).get(model)
    if not override:
        return declared
    base = attrs.asdict(declared, recurse=False) if declared else {}
    merged = {**{k: v for k, v in base.items() if v is not None}, **override}
    merged.setdefault("source", "settings")
    return structure(merged, Pricing, what=f"pricing.{provider}.{model}")


def estimate_cost(
    pricing: Pricing | None, *, seconds: float = 0.0, chars: int = 0
) -> Decimal | None:
    """Cost of one call, or ``None`` when the price is unknown."""
    if pricing is None:
        return None
    return pricing.estimate(seconds=seconds, chars=chars)
