"""The Veo models this plugin offers: capabilities and prices, plus the user's adjustments.

The catalogue declares what each model accepts on Vertex AI. Users choose which models to
offer and can correct a capability or add a model id without a new release::

    [providers.vertex]
    models = ["veo-3.1-generate-001", "veo-3.1-fast-generate-001", "veo-3.1-fast-generate-preview"]

    [providers.vertex.capabilities."veo-3.1-fast-generate-preview"]
    like = "veo-3.1-fast-generate-001"      # start from a known model's capabilities
    max_reference_images = 0                 # then change any ClipModel field

Prices are per second of output with audio, at 720p/1080p (see ``notes`` of each model for
4K and audio-off prices); users override them under ``[pricing.vertex."MODEL"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from ministudio.capabilities import ClipModel, PriceRule, Pricing, ReferenceRole
from ministudio.errors import ConfigError

__all__ = ["CATALOGUE", "DEFAULT_MODELS", "PROVIDER", "configured_models", "find_model"]

PROVIDER = "vertex"

_AS_OF = date(2026, 11, 25)
_PRICE_SOURCE = (
    "https://cloud.google.com/vertex-ai/generative-ai/pricing (Veo 3.1, audio on; "
    "read from consistent third-party tables, check before budgeting)"
)

_COMMON: dict[str, Any] = {
    "durations": (4.0, 6.0, 8.0),
    # declared so that `ministudio plan` snaps and checks them before anything is spent
    "reference_durations": (8.0,),
    "resolution_durations": (("1080p", (8.0,)), ("4k", (8.0,))),
    "aspect_ratios": ("16:9", "9:16"),
    "fps": (24,),
    "reference_roles": (ReferenceRole.SUBJECT,),
    "references_with_frames": False,
    "first_frame": True,
    "native_audio": True,
    "seed": True,
    "negative_prompt": True,
    "max_candidates": 4,
    "requests_per_minute": 10,
    "resumable": True,
}

_RULES_NOTE = (
    "Reference images, 1080p and 4K need an 8 s duration; reference images cannot be combined "
    "with a first or last frame; a last frame needs a first frame."
)

CATALOGUE: dict[str, ClipModel] = {
    m.id: m
    for m in (
        ClipModel(
            id="veo-3.1-generate-001",
            description="Veo 3.1: highest quality, native audio, up to 3 subject references",
            resolutions=("720p", "1080p", "4k"),
            max_reference_images=3,
            last_frame=True,
            extension_s=7.0,
            pricing=Pricing(
                per_second=Decimal("0.40"), as_of=_AS_OF, source=_PRICE_SOURCE,
                rules=(PriceRule(audio=False, per_second=Decimal("0.20")),
                       PriceRule(resolution="4k", per_second=Decimal("0.60")),
                       PriceRule(resolution="4k", audio=False, per_second=Decimal("0.30"))),
            ),
            notes=_RULES_NOTE + " 4K costs about 0.60 USD/s; video without audio about half.",
            **_COMMON,
        ),
        ClipModel(
            id="veo-3.1-fast-generate-001",
            description="Veo 3.1 Fast: quicker and cheaper, same controls as Veo 3.1",
            resolutions=("720p", "1080p", "4k"),
            max_reference_images=3,
            last_frame=True,
            extension_s=7.0,
            pricing=Pricing(per_second=Decimal("0.15"), as_of=_AS_OF, source=_PRICE_SOURCE,
                            rules=(PriceRule(audio=False, per_second=Decimal("0.10")),)),
            notes=_RULES_NOTE + " 4K costs more; video without audio about 0.10 USD/s.",
            **_COMMON,
        ),
        ClipModel(
            id="veo-3.1-lite-generate-001",
            description="Veo 3.1 Lite (preview): lowest cost; text or first frame to video",
            resolutions=("720p", "1080p"),
            max_reference_images=0,
            last_frame=False,
            extension_s=None,
            pricing=Pricing(per_second=Decimal("0.05"), as_of=_AS_OF, source=_PRICE_SOURCE,
                            rules=(PriceRule(resolution="1080p", per_second=Decimal("0.08")),)),
            notes=(
                "Declared conservatively (no references, last frame or extension); enable "
                "them under [providers.vertex.capabilities] once your project has them. "
                "1080p needs an 8 s duration and costs about 0.08 USD/s."
            ),
            **{**_COMMON, "reference_roles": ()},
        ),
    )
}

DEFAULT_MODELS: tuple[str, ...] = tuple(CATALOGUE)


def _family(model_id: str) -> ClipModel:
    """The known model an unknown id most likely behaves like (lite, fast, else standard)."""
    for key in ("lite", "fast"):
        if key in model_id:
            return CATALOGUE[f"veo-3.1-{key}-generate-001"]
    return CATALOGUE["veo-3.1-generate-001"]


def configured_models(settings: Mapping[str, Any]) -> tuple[ClipModel, ...]:
    """The models offered with these ``[providers.vertex]`` settings, in the listed order."""
    ids = settings.get("models") or DEFAULT_MODELS
    if isinstance(ids, str):
        ids = [ids]
    overrides: Mapping[str, Any] = settings.get("capabilities") or {}
    out: list[ClipModel] = []
    for model_id in dict.fromkeys(str(i) for i in ids):
        change = dict(overrides.get(model_id) or {})
        like = change.pop("like", None)
        if like is not None and like not in CATALOGUE:
            raise ConfigError(
                f"providers.vertex.capabilities.{model_id}.like: unknown model {like!r} "
                f"(known: {', '.join(CATALOGUE)})"
            )
        base = CATALOGUE[like] if like else CATALOGUE.get(model_id) or _family(model_id)
        if not change and base.id == model_id:
            out.append(base)  # the catalogue's own record: nothing to convert
            continue
        # the converter (cattrs) only for overrides: registration stays a fast cold start
        from ministudio.converter import structure, unstructure

        data = {**unstructure(base), **change, "id": model_id}
        if model_id not in CATALOGUE and "notes" not in change:
            data["notes"] = f"capabilities assumed from {base.id}. " + base.notes
        out.append(structure(data, ClipModel, what=f"providers.vertex.capabilities.{model_id}"))
    return tuple(out)


def find_model(model_id: str | None, settings: Mapping[str, Any]) -> ClipModel:
    """The ClipModel for ``model_id`` under these settings (the first one when None)."""
    models = configured_models(settings)
    if not model_id:
        return models[0]
    for m in models:
        if m.id == model_id:
            return m
    # not in the user's list: still answer with the catalogue's (or the family's) capabilities
    return CATALOGUE.get(model_id) or attrs.evolve(_family(model_id), id=model_id)
