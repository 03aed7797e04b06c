"""Render one clip through ``huggingface_hub.InferenceClient`` and validate what comes back."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from ministudio.context import CallContext
from ministudio.errors import AuthenticationError, CapabilityError, MediaError
from ministudio.requests import ClipRequest, ClipResult

from ministudio_hf.client import classify, injected_transport
from ministudio_hf.models import CATALOG, HFModel, Route, apply_settings, find_model

__all__ = ["DEFAULT_HTTP_TIMEOUT_S", "build_call", "generate", "probe_video", "resolve_token"]

#: per-request HTTP timeout; video endpoints (replicate ``Prefer: wait``, novita) hold the
#: request open while rendering
DEFAULT_HTTP_TIMEOUT_S = 900.0
TOKEN_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")


def resolve_token(context: CallContext) -> str | None:
    """``HF_TOKEN`` from the environment, else ``token`` in ``[providers.hf]``, else the token
    stored by ``hf auth login``; ``None`` when there is none."""
    token = context.secret(*TOKEN_ENV) or context.settings.get("token")
    if token:
        return str(token)
    from huggingface_hub import get_token

    return get_token()


@attrs.frozen(kw_only=True)
class Call:
    """What will be sent: the task, its route and the keyword arguments for the client."""

    task: str
    route: Route
    num_frames: int
    kwargs: Mapping[str, Any]


def build_call(model: HFModel, request: ClipRequest) -> Call:
    """Map a request onto ``text_to_video`` / ``image_to_video`` keyword arguments."""
    image = request.first_frame is not None
    route = model.image_to_video if image else model.text_to_video
    if route is None:  # core's capability check normally prevents this
        raise CapabilityError(
            f"hf/{model.id} has no {'image' if image else 'text'}-to-video route",
            provider="hf", model=model.id,
        )
    frames = model.frames_for(request.duration_s)
    body: dict[str, Any] = {**model.extra, **route.extra}
    if route.fps_param:
        body[route.fps_param] = model.fps
    if route.aspect_ratio_param:
        body[route.aspect_ratio_param] = request.aspect_ratio
    if route.resolution_param:
        body[route.resolution_param] = request.resolution
    frame_value: Any = str(frames) if route.frames_as_str else frames
    kwargs: dict[str, Any] = {
        "model": route.repo,
        "negative_prompt": request.negative_prompt or None,
        "seed": request.seed,
        "num_inference_steps": model.steps,
        "guidance_scale": model.guidance,
    }
    if route.frames_param == "num_frames":
        kwargs["num_frames"] = frame_value
    elif route.frames_param:
        body[route.frames_param] = frame_value
    body.update(request.extra)  # the shot's provider-specific options win
    if image:
        kwargs["prompt"] = request.prompt
        kwargs.update(body)
    else:
        kwargs["extra_body"] = body
    return Call(
        task="image-to-video" if image else "text-to-video",
        route=route,
        num_frames=frames,
        kwargs={k: v for k, v in kwargs.items() if v is not None},
    )


def probe_video(path: Path, *, expected_duration_s: float | None = None) -> dict[str, Any]:
    """Validate ``path`` with core's media checks (demux + first-frame decode, duration) and
    return what it holds. Raises :class:`MediaError` for anything that is not a playable video."""
    from ministudio.media import validate_clip

    info = validate_clip(path, expected_duration_s=expected_duration_s)
    return {
        "width": info.width,
        "height": info.height,
        "duration_s": round(info.duration_s, 4),
        "fps": info.fps,
        "has_audio": info.has_audio,
        "codec": info.video_codec,
    }


def generate(request: ClipRequest, context: CallContext) -> ClipResult:
    models = CATALOG
    model = apply_settings(find_model(models, request.model), context.settings)
    call = build_call(model, request)
    route = call.route
    where = f"{route.provider}: {route.repo}"
    token = resolve_token(context)
    if not token:
        raise AuthenticationError(
            f"hf ({where}): no Hugging Face token found",
            hint="set HF_TOKEN (https://huggingface.co/settings/tokens), or run `hf auth login`",
            provider="hf", model=model.id,
        )
    log = context.log.bind(task=call.task, inference_provider=route.provider, repo=route.repo)
    log.info("hf.request", num_frames=call.num_frames, fps=model.fps,
             params=sorted(k for k in call.kwargs if k != "model"))

    from huggingface_hub import InferenceClient

    timeout = float(context.settings.get("http_timeout_s", DEFAULT_HTTP_TIMEOUT_S))
    bill_to = context.settings.get("bill_to")
    with injected_transport(context.transport):
        client = InferenceClient(provider=route.provider, token=token, timeout=timeout,
                                 bill_to=bill_to)
        try:
            if call.task == "image-to-video":
                video = client.image_to_video(request.first_frame, **call.kwargs)
            else:
                video = client.text_to_video(request.prompt, **call.kwargs)
        except Exception as exc:  # noqa: BLE001 - classified below
            error = classify(exc, where=where, model=model.id, token=token)
            log.warning("hf.failed", error=type(error).__name__, status=error.status_code)
            raise error from exc

    digest = hashlib.sha256(video if isinstance(video, bytes) else b"").hexdigest()[:12]
    stem = f"hf-{model.id}-{request.shot_id or 'clip'}-{digest}"
    path = Path(context.workdir) / f"{stem}.mp4"
    if not isinstance(video, bytes | bytearray):
        raise MediaError(f"hf ({where}) returned {type(video).__name__}, expected video bytes")
    path.write_bytes(video)
    try:
        info = probe_video(path, expected_duration_s=call.num_frames / model.fps)
    except MediaError as exc:
        kept = path.with_suffix(".invalid")
        path.replace(kept)
        raise MediaError(
            f"hf ({where}): the answer is not a usable video: {exc} (kept as {kept.name})"
        ) from exc
    log.info("hf.done", bytes=len(video), **{k: info[k] for k in ("width", "height", "duration_s")})
    return ClipResult(
        path=path,
        provider=request.provider,
        model=model.id,
        duration_s=info["duration_s"],
        width=info["width"],
        height=info["height"],
        fps=info["fps"] or float(model.fps),
        has_audio=info["has_audio"],
        seed=request.seed,
        metadata={
            "task": call.task,
            "repo": route.repo,
            "inference_provider": route.provider,
            "num_frames": call.num_frames,
            "codec": info["codec"],
        },
    )
