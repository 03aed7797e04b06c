"""Plugin module for the diffusers providers ``wan``, ``ltx-video`` and ``cogvideox``.

Open video models run on the user's own GPU (extra ``ministudio-local[diffusers]``). The
providers are always listed (their capabilities are plain data); torch and diffusers are imported
only when a clip is rendered, and without them ``generate_clip`` raises one error naming the
install command. Weights come from a Hugging Face model id or a local folder
(``[providers.NAME.weights]``); pipelines are loaded once per process and reused.

``ClipRequest.extra`` keys understood (LTX-Video):

- ``extend_from``: path of a clip to continue; its last frames condition frame 0 and the new
  clip starts where it ended;
- ``keyframes``: ``[{"image": path, "at_s": seconds, "strength": 1.0}, ...]`` images that
  condition the frames at those instants.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ministudio import ProviderSpec, hookimpl
from ministudio.errors import CapabilityError, MediaError

from ministudio_local.diffusers.catalog import Mode, ModelEntry, entry_for, provider_specs

if TYPE_CHECKING:  # listing the providers needs only the catalogue (see generate_clip)
    from ministudio import ClipRequest, ClipResult
    from ministudio.context import CallContext

    from ministudio_local.diffusers.options import RuntimeOptions

MINISTUDIO_PLUGIN_API = 1

#: frames of the previous clip an extension is conditioned on (8k+1 for LTX)
EXTEND_OVERLAP = 9


@hookimpl
def register_providers() -> list[ProviderSpec]:
    return provider_specs()


def _mode(entry: ModelEntry, request: ClipRequest) -> Mode:
    extend = request.extra.get("extend_from")
    if extend is not None:
        if Mode.EXTEND not in entry.modes:
            raise CapabilityError(f"{entry.id} cannot extend a clip", model=entry.id)
        if request.first_frame is not None:
            raise CapabilityError(
                f"{entry.id}: give either extend_from or a first frame, not both", model=entry.id
            )
        return Mode.EXTEND
    if request.last_frame is not None or request.extra.get("keyframes"):
        mode = Mode.FIRST_LAST
    elif request.first_frame is not None:
        mode = Mode.IMAGE
    else:
        mode = Mode.TEXT
    if entry.needs_both_frames and (request.first_frame is None or request.last_frame is None):
        raise CapabilityError(
            f"{entry.id} renders between two images: the shot needs a first and a last frame",
            violations=[f"{entry.id} needs a first and a last frame"],
            provider=request.provider,
            model=entry.id,
        )
    if mode not in entry.modes:
        if mode is Mode.TEXT:
            raise CapabilityError(
                f"{entry.id} is image-to-video only: the shot needs a first frame",
                violations=[f"{entry.id} needs a first frame"],
                provider=request.provider,
                model=entry.id,
            )
        raise CapabilityError(f"{entry.id} cannot do {mode.value}", model=entry.id)
    return mode


def _image(path: Path | str, size: tuple[int, int], what: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    from ministudio_local.diffusers.frames import fit_image

    try:
        with Image.open(path) as img:
            return fit_image(img, size)
    except (OSError, UnidentifiedImageError) as exc:
        raise MediaError(f"cannot read the {what} image {path}: {exc}") from exc


def _keyframes(
    entry: ModelEntry, request: ClipRequest, size: tuple[int, int], generate: int
) -> tuple[tuple[Any, int, float], ...]:
    out = []
    for k in request.extra.get("keyframes", ()) or ():
        if not isinstance(k, Mapping) or "image" not in k:
            raise CapabilityError(f"{entry.id}: a keyframe needs an image path", model=entry.id)
        at = float(k.get("at_s", 0.0))
        if not 0 <= at <= request.duration_s:
            raise CapabilityError(
                f"{entry.id}: keyframe at {at:g}s is outside the {request.duration_s:g}s shot",
                model=entry.id,
            )
        index = round(at * entry.native_fps / entry.frame_multiple) * entry.frame_multiple
        out.append((_image(k["image"], size, "keyframe"), min(index, generate - 1),
                    float(k.get("strength", 1.0))))
    return tuple(out)


@hookimpl
def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    import secrets

    from ministudio.requests import ClipResult

    from ministudio_local.diffusers.frames import plan_frames
    from ministudio_local.diffusers.options import parse_options

    entry = entry_for(request.provider, request.model)
    mode = _mode(entry, request)
    opts: RuntimeOptions = parse_options(entry, context.settings)
    log = context.log.bind(model=entry.id, mode=mode.value)
    if opts.unknown:
        log.warning("diffusers.unknown_settings", keys=list(opts.unknown))

    from ministudio.capabilities import frame_size

    from ministudio_local.diffusers import runner
    from ministudio_local.diffusers.frames import read_last_frames, write_mp4

    runner.require_extra()
    out_size = frame_size(request.aspect_ratio, request.resolution)
    gen_size = opts.size or entry.size(request.aspect_ratio, request.resolution)
    native_fps = request.fps if entry.fps_input else entry.native_fps
    skip = EXTEND_OVERLAP if mode is Mode.EXTEND else 0
    plan = plan_frames(
        duration_s=request.duration_s,
        fps=request.fps,
        native_fps=native_fps,
        multiple=entry.frame_multiple,
        max_frames=entry.max_frames,
        skip=skip,
        stretch=request.last_frame is not None,
    )
    cond = runner.Conditioning(
        mode=mode,
        first=_image(request.first_frame, gen_size, "first frame") if request.first_frame else None,
        last=_image(request.last_frame, gen_size, "last frame") if request.last_frame else None,
        video=(
            read_last_frames(Path(request.extra["extend_from"]), skip, gen_size)
            if mode is Mode.EXTEND
            else ()
        ),
        keyframes=_keyframes(entry, request, gen_size, plan.generate),
    )
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    log.info("diffusers.generate", frames=plan.generate, size=f"{gen_size[0]}x{gen_size[1]}",
             steps=opts.steps, seed=seed)
    started = time.perf_counter()
    frames, device = runner.generate_frames(
        entry, opts, cond,
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=seed,
        num_frames=plan.generate,
        size=gen_size,
        fps=native_fps,
    )
    seconds = time.perf_counter() - started
    name = f"{request.shot_id or 'clip'}-{entry.id}-{seed}.mp4".replace("/", "_")
    path = write_mp4(frames, plan, context.workdir / name, size=out_size, crf=opts.crf,
                     preset=opts.preset)
    log.info("diffusers.done", seconds=round(seconds, 2), device=device, path=str(path))
    return ClipResult(
        path=path,
        provider=request.provider,
        model=entry.id,
        duration_s=plan.duration_s,
        width=out_size[0],
        height=out_size[1],
        fps=request.fps,
        seed=seed,
        metadata={
            "mode": mode.value,
            "weights": opts.source,
            "device": device,
            "dtype": opts.dtype,
            "generated_frames": int(frames.shape[0]),
            "generated_size": f"{frames.shape[2]}x{frames.shape[1]}",
            "native_fps": native_fps,
            "steps": opts.steps,
            "generate_seconds": round(seconds, 3),
        },
    )
