"""What Luma's Dream Machine models can do and cost, and the keys of ``[providers.luma]``.

Capabilities are from the Dream Machine API (``POST /generations``, the official SDK's
``VideoCreateParams``, https://docs.lumalabs.ai/docs/video-generation): models ``ray-2`` and
``ray-flash-2``; ``duration`` ``"5s"`` or ``"9s"``; ``resolution`` 540p, 720p, 1080p, 4k;
``aspect_ratio`` 1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21; ``loop``; ``keyframes`` ``frame0`` /
``frame1`` as ``{"type": "image", "url": ...}``. No seed, no negative prompt, no reference
images for video. Keyframes are *URLs*: a first or last frame is declared only when
``frame_upload_url`` says where the plugin may upload the local image (see :mod:`.frames`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
from ministudio import JOB_SETTINGS, ClipModel, ConfigError, PriceRule, Pricing, Setting

__all__ = ["BASE_URL", "CATALOG", "NAME", "SETTINGS", "configured_models"]

NAME = "luma"
BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"

#: Luma bills video per million pixels generated; these are USD per second at 16:9, 24 fps
_PER_SECOND = {
    "ray-2": {"540p": "0.0796", "720p": "0.1416", "1080p": "0.3185", "4k": "1.2740"},
    "ray-flash-2": {"540p": "0.0274", "720p": "0.0487", "1080p": "0.1095", "4k": "0.4379"},
}
_MPX = {"ray-2": "0.0064", "ray-flash-2": "0.0022"}


def _pricing(model: str) -> Pricing:
    prices = _PER_SECOND[model]
    return Pricing(
        per_second=Decimal(prices["720p"]), as_of=date(2026, 12, 1),
        source=f"Luma Dream Machine API pricing, USD {_MPX[model]} per million pixels "
        "(https://lumalabs.ai/api/pricing); per second at 16:9 and 24 fps",
        rules=tuple(PriceRule(resolution=r, per_second=Decimal(p)) for r, p in prices.items()),
    )


def _model(id: str, description: str, frames: bool) -> ClipModel:
    return ClipModel(
        id=id, description=description, durations=(5.0, 9.0),
        aspect_ratios=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21"),
        resolutions=("540p", "720p", "1080p", "4k"), fps=(24,), first_frame=frames,
        last_frame=frames, seed=False, negative_prompt=False, resumable=True,
        pricing=_pricing(id),
        notes="first/last frame need [providers.luma] frame_upload_url (keyframes are URLs)",
    )


def catalog(frames: bool) -> tuple[ClipModel, ...]:
    return (_model("ray-2", "Ray 2: Luma's flagship video model", frames),
            _model("ray-flash-2", "Ray Flash 2: faster and about a third of the price", frames))


CATALOG = catalog(frames=False)

_POLL_DEFAULTS = {"poll_initial_s": 3.0, "poll_max_s": 20.0, "poll_deadline_s": 1200.0}

SETTINGS: tuple[Setting, ...] = (
    Setting(name="base_url", default=BASE_URL, description="API root"),
    Setting(name="models", type="list", description="the models offered, in order (default all)"),
    Setting(name="loop", type="bool", default=False,
            description="make every clip loop (a shot may set extra.loop)"),
    Setting(name="frame_upload_url", description="URL prefix the plugin PUTs first/last frames "
            "to (e.g. a bucket); without it no first or last frame is declared"),
    Setting(name="frame_public_url", description="URL prefix Luma reads the uploaded frames "
            "from (default: frame_upload_url)"),
    *(attrs.evolve(s, default=_POLL_DEFAULTS.get(s.name, s.default)) for s in JOB_SETTINGS),
)


def configured_models(settings: Mapping[str, Any]) -> tuple[ClipModel, ...]:
    """The catalog for these settings: frames declared when uploads are configured, narrowed
    and ordered by ``models`` (an unknown id is a ConfigError)."""
    models = catalog(frames=bool(settings.get("frame_upload_url")))
    wanted = settings.get("models")
    if not wanted:
        return models
    known = {m.id: m for m in models}
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise ConfigError(f"[providers.luma] models: unknown {', '.join(map(str, unknown))}",
                          hint="choose from " + ", ".join(known))
    return tuple(known[m] for m in wanted)
