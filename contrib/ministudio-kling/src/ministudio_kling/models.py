"""What Kling's models can do and cost, and the keys of ``[providers.kling]``.

Capabilities are from Kling's API reference (text-to-video, image-to-video and the capability
map, https://app.klingai.com/global/dev/document-api): durations 5 and 10 s, ``aspect_ratio``
16:9 / 9:16 / 1:1 for text-to-video (image-to-video keeps the image's), prompts up to 2500
characters, no seed. ``mode`` is chosen by resolution: ``720p`` is standard (``std``),
``1080p`` professional (``pro``). A last frame (``image_tail``) needs ``pro`` on every model
here, and on kling-v2-6 no sound; sound (``sound: on``) is kling-v2-6 ``pro`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from ministudio import JOB_SETTINGS, ClipModel, ConfigError, PriceRule, Pricing, Setting

__all__ = ["BASE_URL", "CATALOG", "MASTER", "NAME", "SETTINGS", "TAKES_CFG", "configured_models"]

NAME = "kling"
BASE_URL = "https://api-singapore.klingai.com"

_AS_OF = date(2026, 12, 1)
_SOURCE = ("Kling AI API price list (prepaid resource packs, 1 unit = USD 0.14; "
           "https://app.klingai.com/global/dev/document-api): {}")


def _price(std: str | None, pro: str, audio: str | None, note: str) -> Pricing:
    """Kling bills per clip (10 s = 2 x 5 s), so a per-second price is exact."""
    rules = [PriceRule(resolution="1080p", audio=False, per_second=Decimal(pro))]
    if audio is not None:
        rules.append(PriceRule(resolution="1080p", audio=True, per_second=Decimal(audio)))
    return Pricing(per_second=Decimal(std or pro), as_of=_AS_OF, source=_SOURCE.format(note),
                   rules=tuple(rules))


def _model(id: str, description: str, *, pricing: Pricing, resolutions: tuple[str, ...],
           audio: bool = False, last_frame: bool = True) -> ClipModel:
    return ClipModel(
        id=id, description=description, durations=(5.0, 10.0),
        aspect_ratios=("16:9", "9:16", "1:1"), resolutions=resolutions, fps=(24,),
        first_frame=True, last_frame=last_frame, native_audio=audio, seed=False,
        negative_prompt=True, max_prompt_chars=2500, resumable=True, pricing=pricing,
        notes="720p = standard mode, 1080p = professional; a last frame needs 1080p",
    )


#: every model this plugin knows, in the default order
CATALOG: tuple[ClipModel, ...] = (
    _model("kling-v2-6", "Kling 2.6: sound in professional mode",
           pricing=_price("0.042", "0.07", "0.14", "kling-v2-6 std 1.5 units / 5 s, pro 2.5, "
                          "pro with sound 5"), resolutions=("720p", "1080p"), audio=True),
    _model("kling-v2-5-turbo", "Kling 2.5 Turbo: fast and cheapest",
           pricing=_price("0.042", "0.07", None, "kling-v2-5-turbo std 1.5 units / 5 s, pro 2.5"),
           resolutions=("720p", "1080p")),
    _model("kling-v2-1-master", "Kling 2.1 Master: 1080p, one mode",
           pricing=_price(None, "0.28", None, "kling-v2-1-master 10 units / 5 s"),
           resolutions=("1080p",), last_frame=False),
    _model("kling-v1-6", "Kling 1.6: takes cfg_scale",
           pricing=_price("0.056", "0.098", None, "kling-v1-6 std 2 units / 5 s, pro 3.5"),
           resolutions=("720p", "1080p")),
)

#: models without modes (no ``mode`` is sent)
MASTER = frozenset({"kling-v2-1-master"})
#: models that take ``cfg_scale`` (Kling: "not supported for V2.x models")
TAKES_CFG = frozenset({"kling-v1-6"})

_POLL_DEFAULTS = {"poll_initial_s": 5.0, "poll_max_s": 30.0, "poll_deadline_s": 1500.0}

SETTINGS: tuple[Setting, ...] = (
    Setting(name="base_url", default=BASE_URL,
            description="API root (https://api-beijing.klingai.com in mainland China)"),
    Setting(name="models", type="list", description="the models offered, in order (default all)"),
    Setting(name="cfg_scale", type="float",
            description="prompt adherence 0..1, sent to models that take it (kling-v1-6)"),
    *(attrs.evolve(s, default=_POLL_DEFAULTS.get(s.name, s.default)) for s in JOB_SETTINGS),
)


def configured_models(settings: Mapping[str, Any]) -> tuple[ClipModel, ...]:
    """The catalog narrowed and ordered by ``models``; an unknown id is a ConfigError."""
    wanted = settings.get("models")
    if not wanted:
        return CATALOG
    known = {m.id: m for m in CATALOG}
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise ConfigError(f"[providers.kling] models: unknown {', '.join(map(str, unknown))}",
                          hint="choose from " + ", ".join(known))
    return tuple(known[m] for m in wanted)
