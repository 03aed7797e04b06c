"""Plugin module for the ``animatic`` clip provider and the ``face`` identity scorer.

Settings (``[providers.animatic]``): ``preset`` (x264 preset, default ``veryfast``), ``crf``
(default 20). ``[providers.face]``: ``threshold`` (default 0.58, from
benchmarks/identity_bench.py).
Heavy libraries (PyAV, Pillow, numpy, dlib) are imported inside the hooks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ministudio import (
    ClipModel,
    Operation,
    Pricing,
    ProviderSpec,
    ReferenceRole,
    ScorerInfo,
    Setting,
    hookimpl,
)

if TYPE_CHECKING:  # annotations only: listing the providers builds no request records
    from ministudio.requests import ClipRequest, ClipResult, IdentityRequest, IdentityScore

MINISTUDIO_PLUGIN_API = 1

ANIMATIC = "animatic"
FACE = "face"
#: the face scorer's pass mark (mirrors ministudio_local.face.score.THRESHOLD, kept here so
#: that listing the providers does not import the scorer)
FACE_THRESHOLD = 0.58

#: animatic clips drawn at once: one render keeps about one core busy (drawing and x264
#: overlap) and holds ~100 MB at 720p (the x264 encoder and the layers), so one per two cores
#: leaves the other for validating and scoring the clips before it (on 2 cores: 1, which is
#: also faster than 2 that compete with the scorer, and ~100 MB less at peak)
ANIMATIC_CONCURRENCY = max(1, (os.cpu_count() or 2) // 2)

ANIMATIC_MODEL = ClipModel(
    id="animatic-v1",
    description=(
        "Storyboard animatic drawn offline: environment plate (or a backdrop painted from the "
        "palette and lighting), character portraits placed by shot type, 2.5D camera move, "
        "slate, action caption, dialogue subtitles"
    ),
    min_duration_s=0.5,
    max_duration_s=60.0,
    aspect_ratios=("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "2.39:1", "4:5"),
    resolutions=("360p", "480p", "540p", "720p", "1080p"),
    fps=(24, 25, 30),
    max_reference_images=8,
    reference_roles=(ReferenceRole.SUBJECT, ReferenceRole.ENVIRONMENT, ReferenceRole.STYLE),
    references_with_frames=True,
    first_frame=True,
    last_frame=False,
    native_audio=False,
    seed=True,
    negative_prompt=True,
    max_candidates=1,
    max_concurrency=ANIMATIC_CONCURRENCY,
    pricing=Pricing(per_second=Decimal(0), source="runs locally, no cost"),
    notes="deterministic for a seed; about 3-8x realtime at 720p on 2 CPU cores",
)


def _face_available() -> bool:
    from ministudio_local.face.files import available

    return available()


@hookimpl
def register_providers() -> Iterator[ProviderSpec]:
    yield ProviderSpec(
        name=ANIMATIC,
        operations={Operation.CLIP},
        description="Offline storyboard animatic (no model, no key): the default clip provider",
        clip_models=(ANIMATIC_MODEL,),
        default_model=ANIMATIC_MODEL.id,
        settings=(
            Setting(name="preset", default="veryfast", description="x264 preset"),
            Setting(name="crf", type="int", default=20, description="x264 quality (0-51)"),
        ),
    )
    if _face_available():
        yield ProviderSpec(
            name=FACE,
            operations={Operation.IDENTITY},
            description="Face identity: dlib detector + 5-point landmarks + ResNet descriptor",
            scorer=ScorerInfo(
                kind="face", threshold=FACE_THRESHOLD,
                description="similarity = 1 - dlib L2 distance; median over sampled frames",
            ),
            settings=(
                Setting(name="threshold", type="float", default=FACE_THRESHOLD,
                        description="face similarity a shot must reach"),
                Setting(name="look_threshold", type="float",
                        description="look score a shot without a detectable face must reach"),
            ),
        )


@hookimpl
def generate_clip(request: ClipRequest, context: Any) -> ClipResult | None:
    if request.provider != ANIMATIC:
        return None
    from ministudio.requests import ClipResult

    from ministudio_local.animatic.render import render_animatic

    out = context.workdir / f"animatic-{request.shot_id or 'shot'}.mp4"
    stats = render_animatic(
        request, out, preset=str(context.settings.get("preset", "veryfast")),
        crf=int(context.settings.get("crf", 20)), log=context.log,
    )
    return ClipResult(
        path=out,
        provider=ANIMATIC,
        model=ANIMATIC_MODEL.id,
        duration_s=stats.frames / stats.fps,
        width=stats.width,
        height=stats.height,
        fps=stats.fps,
        has_audio=False,
        seed=stats.plan.seed,
        cost=Decimal(0),
        metadata={
            "shot_type": stats.plan.shot_type,
            "camera_move": stats.move,
            "characters": [c.name or c.id for c in stats.plan.characters],
            "backdrop": "environment image" if stats.plan.backdrop else "painted",
            "clean_frames": [stats.clean_in_frames, stats.clean_out_frames],
        },
    )


@hookimpl(tryfirst=True)
def score_identity(request: IdentityRequest, context: Any) -> IdentityScore | None:
    if not _face_available():
        return None  # decline: core's look score answers
    from ministudio_local.face.score import THRESHOLD, score_faces

    look = context.settings.get("look_threshold")
    return score_faces(
        request,
        threshold=float(context.settings.get("threshold", THRESHOLD)),
        look_threshold=None if look is None else float(look),
        log=context.log, crops_dir=context.workdir,
    )
