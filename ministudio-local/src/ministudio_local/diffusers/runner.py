"""Loading diffusers pipelines (cached per process) and calling them for one shot.

Imported only inside the ``generate_clip`` hook: it imports torch and diffusers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import attrs
import structlog
from ministudio.errors import ConfigError, ProviderError

from ministudio_local.diffusers.catalog import Mode, ModelEntry
from ministudio_local.diffusers.options import RuntimeOptions

__all__ = ["Conditioning", "MissingExtraError", "clear_cache", "generate_frames", "require_extra"]

log = structlog.get_logger(__name__)

INSTALL = "pip install 'ministudio-local[diffusers]'"


class MissingExtraError(ProviderError):
    """torch / diffusers / transformers are not installed."""


def require_extra() -> None:
    """Import the extra's libraries or raise one clear error naming the install command."""
    try:
        import diffusers  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "torch/diffusers/transformers"
        raise MissingExtraError(
            f"the local model providers need {missing}, which is not installed: "
            f"run {INSTALL}",
            hint=f"{INSTALL} (on a machine without a GPU, pin the CPU build of torch in the "
            "same command; see docs/local-models.md)",
        ) from exc


@attrs.frozen(kw_only=True)
class Conditioning:
    """What a call is conditioned on, already fitted to the generation size."""

    mode: Mode
    first: Any = None  #: PIL image
    last: Any = None  #: PIL image
    video: Sequence[Any] = ()  #: PIL images: an extension's overlap frames
    keyframes: tuple[tuple[Any, int, float], ...] = ()  #: (PIL image, frame index, strength)


_cache: dict[tuple[Any, ...], Any] = {}
_cache_lock = threading.Lock()
_call_locks: dict[int, threading.Lock] = {}


def clear_cache() -> None:
    """Drop every loaded pipeline (frees memory; the next call loads again)."""
    with _cache_lock:
        _cache.clear()
        _call_locks.clear()


def _device(opts: RuntimeOptions) -> str:
    import torch

    if opts.device != "auto":
        if opts.device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(
                f"device {opts.device!r} asked but torch sees no CUDA GPU",
                hint="set device = \"cpu\" (slow) or install a CUDA build of torch",
            )
        return opts.device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _dtype(opts: RuntimeOptions, device: str) -> Any:
    import torch

    name = opts.dtype
    if name == "auto":
        name = "bfloat16" if device.startswith("cuda") else "float32"
    return getattr(torch, name)


def _load_base(entry: ModelEntry, opts: RuntimeOptions, device: str, dtype: Any) -> Any:
    import diffusers
    import torch

    cls = getattr(diffusers, entry.base_pipeline)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if opts.revision:
        kwargs["revision"] = opts.revision
    if opts.local_files_only and not opts.local:
        kwargs["local_files_only"] = True
    if entry.vae_float32 and dtype != torch.float32:
        vae_cls = diffusers.AutoencoderKLWan
        kwargs["vae"] = vae_cls.from_pretrained(
            opts.source, subfolder="vae", dtype=torch.float32,
            **{k: v for k, v in kwargs.items() if k in ("revision", "local_files_only")},
        )
    try:
        pipe = cls.from_pretrained(opts.source, **kwargs)
    except (OSError, ValueError) as exc:
        where = "folder" if opts.local else "Hugging Face model"
        raise ProviderError(
            f"cannot load {entry.id} weights from {where} {opts.source}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            model=entry.id,
            hint=(
                f"download them first (hf download {entry.hf_id} --local-dir DIR) and set "
                f"[providers.{entry.provider}.weights] \"{entry.id}\" = \"DIR\""
            ),
        ) from exc
    if opts.offload == "model":
        pipe.enable_model_cpu_offload(device=device)
    elif opts.offload == "sequential":
        pipe.enable_sequential_cpu_offload(device=device)
    else:
        pipe.to(device)
    if opts.vae_tiling and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
    pipe.set_progress_bar_config(disable=True)
    return pipe


def get_pipeline(entry: ModelEntry, mode: Mode, opts: RuntimeOptions) -> tuple[Any, str]:
    """The pipeline for ``mode`` (loaded once per process and settings); returns it and the device."""
    import diffusers

    device = _device(opts)
    dtype = _dtype(opts, device)
    base_key = (entry.id, opts.source, opts.revision, device, str(dtype), opts.offload, opts.vae_tiling)
    cls_name = entry.pipeline_for(mode)
    with _cache_lock:
        base = _cache.get(base_key + (entry.base_pipeline,))
        if base is None:
            log.info("diffusers.load", model=entry.id, source=opts.source, device=device,
                     dtype=str(dtype), offload=opts.offload)
            base = _load_base(entry, opts, device, dtype)
            _cache[base_key + (entry.base_pipeline,)] = base
        pipe = _cache.get(base_key + (cls_name,))
        if pipe is None:
            pipe = getattr(diffusers, cls_name).from_pipe(base)
            pipe.set_progress_bar_config(disable=True)
            _cache[base_key + (cls_name,)] = pipe
        _call_locks.setdefault(id(pipe), threading.Lock())
    return pipe, device


def _call_kwargs(
    entry: ModelEntry, cond: Conditioning, *, num_frames: int, size: tuple[int, int], fps: int
) -> dict[str, Any]:
    width, height = size
    kw: dict[str, Any] = {"height": height, "width": width, "num_frames": num_frames}
    if entry.family == "ltx":
        kw["frame_rate"] = fps
        if cond.mode is not Mode.TEXT:
            from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

            conditions = []
            if cond.video:
                conditions.append(LTXVideoCondition(video=list(cond.video), frame_index=0))
            if cond.first is not None:
                conditions.append(LTXVideoCondition(image=cond.first, frame_index=0))
            for image, index, strength in cond.keyframes:
                conditions.append(
                    LTXVideoCondition(image=image, frame_index=index, strength=strength)
                )
            if cond.last is not None:
                conditions.append(LTXVideoCondition(image=cond.last, frame_index=num_frames - 1))
            kw["conditions"] = conditions
    elif entry.family == "wan":
        if cond.mode in (Mode.IMAGE, Mode.FIRST_LAST):
            kw["image"] = cond.first
            if cond.last is not None:
                kw["last_image"] = cond.last
    elif entry.family == "cogvideox":
        kw["image"] = cond.first
    return kw


def generate_frames(
    entry: ModelEntry,
    opts: RuntimeOptions,
    cond: Conditioning,
    *,
    prompt: str,
    negative_prompt: str | None,
    seed: int,
    num_frames: int,
    size: tuple[int, int],
    fps: int,
) -> tuple[Any, str]:
    """Run the model once; returns frames ``(F, H, W, 3)`` float32 in [0, 1] and the device."""
    import numpy as np
    import torch

    pipe, device = get_pipeline(entry, cond.mode, opts)
    kwargs = _call_kwargs(entry, cond, num_frames=num_frames, size=size, fps=fps)
    kwargs.update(
        prompt=prompt,
        num_inference_steps=opts.steps,
        guidance_scale=opts.guidance_scale,
        generator=torch.Generator(device="cpu").manual_seed(seed),
        output_type="np",
    )
    if negative_prompt:
        kwargs["negative_prompt"] = negative_prompt
    try:
        with _call_locks[id(pipe)], torch.inference_mode():
            out = pipe(**kwargs)
    except torch.OutOfMemoryError as exc:
        if device.startswith("cuda"):
            torch.cuda.empty_cache()
        raise ProviderError(
            f"{entry.id} ran out of GPU memory at {size[0]}x{size[1]}, {num_frames} frames",
            model=entry.id,
            hint=(
                f"in [providers.{entry.provider}] set offload = \"model\" (or \"sequential\"), "
                "vae_tiling = true, or a smaller size"
            ),
        ) from exc
    frames = np.asarray(out.frames[0], dtype=np.float32)
    return frames, device
