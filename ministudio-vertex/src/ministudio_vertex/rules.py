"""Rules Vertex AI enforces on Veo requests that the generic capability check cannot know.

:func:`ministudio.capcheck.clip_violations` already covers durations (4/6/8, and 8 s only with
reference images or at 1080p/4K, declared as ``reference_durations`` / ``resolution_durations``
so that ``ministudio plan`` snaps and checks them too), aspect ratios, resolutions, reference
count and role, frames, audio, seed and candidates (1–4). This module adds the combinations
Veo rejects that a declaration cannot express, so they fail before anything is paid for:

- a last frame needs a first frame (first+last-frame interpolation);
- scene extension (``extra["extend_video"]``) needs a model with ``extension_s``, 8 s, 720p,
  and no frames or references;
- seeds are unsigned 32-bit integers;
- input images must be PNG, JPEG or WebP;
- ``extra`` takes only the options listed in :data:`EXTRA_OPTIONS` (typos fail loudly).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ministudio.capabilities import ClipModel
from ministudio.capcheck import clip_violations
from ministudio.errors import CapabilityError, MediaError

if TYPE_CHECKING:  # annotations only (the settings import this module on every listing)
    from ministudio.requests import ClipRequest

__all__ = [
    "EXTRA_OPTIONS",
    "IMAGE_TYPES",
    "PERSON_GENERATION",
    "check_request",
    "vertex_violations",
]

#: ``ClipRequest.extra`` keys this provider reads, with what they do
EXTRA_OPTIONS: dict[str, str] = {
    "person_generation": "dont_allow, allow_adult or allow_all (default: the API's)",
    "enhance_prompt": "true/false: let Veo rewrite the prompt",
    "compression_quality": "optimized or lossless",
    "resize_mode": "crop or pad: how an input image is fitted to the frame",
    "output_gcs_uri": "gs://bucket/prefix: write the video there (overrides the setting)",
    "labels": "billing labels {key: value}",
    "extend_video": "a local .mp4 or a gs:// URI of a Veo clip to extend by 7 s",
}

PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
_SEED_MAX = 2**32 - 1


def _is_gcs(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("gs://")


def vertex_violations(
    request: ClipRequest, model: ClipModel, settings: Mapping[str, Any] | None = None
) -> list[str]:
    """Every Veo-specific rule ``request`` breaks (empty when it is fine)."""
    settings = settings or {}
    out: list[str] = []
    eight = abs(request.duration_s - 8.0) < 1e-6
    extra = request.extra
    if request.last_frame is not None and request.first_frame is None:
        out.append(f"{model.id} needs a first frame to end on a last frame (first+last-frame mode)")
    unknown = sorted(set(extra) - set(EXTRA_OPTIONS))
    if unknown:
        out.append(
            f"unknown option(s) {', '.join(unknown)} (vertex takes: {', '.join(EXTRA_OPTIONS)})"
        )
    person = extra.get("person_generation", settings.get("person_generation"))
    if person is not None and person not in PERSON_GENERATION:
        out.append(f"person_generation {person!r} is not one of {', '.join(PERSON_GENERATION)}")
    if request.seed is not None and not 0 <= request.seed <= _SEED_MAX:
        out.append(f"seed {request.seed} is outside 0–{_SEED_MAX}")
    gcs = extra.get("output_gcs_uri", settings.get("output_gcs_uri"))
    if gcs is not None and not _is_gcs(gcs):
        out.append(f"output_gcs_uri {gcs!r} must start with gs://")
    if "extend_video" in extra:
        if model.extension_s is None:
            out.append(f"{model.id} cannot extend a clip (scene extension)")
        if not eight:
            out.append(f"scene extension requests must ask for 8 s, not {request.duration_s:g}s")
        if request.resolution != "720p":
            out.append(f"scene extension renders 720p only, not {request.resolution}")
        if request.first_frame is not None or request.last_frame is not None or request.reference_images:
            out.append("scene extension cannot be combined with frames or reference images")
    images = [r.path for r in request.reference_images]
    images += [p for p in (request.first_frame, request.last_frame) if p is not None]
    for path in images:
        if Path(path).suffix.lower() not in IMAGE_TYPES:
            out.append(f"image {Path(path).name} is not PNG, JPEG or WebP")
    return out


def check_request(
    request: ClipRequest, model: ClipModel, settings: Mapping[str, Any] | None = None
) -> None:
    """Raise :class:`CapabilityError` (all rules, generic and Veo's) or :class:`MediaError`
    (a missing input file) before any request is made."""
    violations = clip_violations(request, model) + vertex_violations(request, model, settings)
    if violations:
        raise CapabilityError(
            f"{request.provider}/{model.id} cannot render shot {request.shot_id or '?'}: "
            + "; ".join(violations),
            violations=violations,
            provider=request.provider,
            model=model.id,
        )
    inputs = [r.path for r in request.reference_images]
    inputs += [p for p in (request.first_frame, request.last_frame) if p is not None]
    source = request.extra.get("extend_video")
    if source is not None and not _is_gcs(source):
        inputs.append(Path(source))
    for path in inputs:
        if not Path(path).is_file():
            raise MediaError(f"shot {request.shot_id or '?'}: input file {path} does not exist")
