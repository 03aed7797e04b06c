"""Frame counts and timing for a shot, and writing generated frames to an MP4 with PyAV.

A model renders ``k * multiple + 1`` frames at its native rate; a shot needs
``round(duration * fps)`` frames at the film's rate. :func:`plan_frames` picks the smallest valid
count covering the shot (plus the frames an extension starts from) and, for each output frame,
the generated frame shown at that instant. Nothing here imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import CapabilityError

__all__ = ["FramePlan", "fit_image", "plan_frames", "write_mp4"]


@attrs.frozen(kw_only=True)
class FramePlan:
    generate: int  #: frames the model renders
    source: tuple[int, ...]  #: for each output frame, the generated frame it shows
    fps: int  #: output frame rate

    @property
    def duration_s(self) -> float:
        return len(self.source) / self.fps


def plan_frames(
    *,
    duration_s: float,
    fps: int,
    native_fps: int,
    multiple: int,
    max_frames: int,
    skip: int = 0,
    stretch: bool = False,
) -> FramePlan:
    """Plan a shot of ``duration_s`` at ``fps`` from a model rendering at ``native_fps``.

    ``skip`` generated frames at the start are not shown (the overlap of an extension).
    ``stretch`` spreads the output over every generated frame instead of trimming the tail, so
    that a conditioned last frame is the clip's last frame.
    """
    n_out = max(1, round(duration_s * fps))
    needed = skip + max(1, math.ceil(duration_s * native_fps - 1e-9))
    generate = 1 + multiple * max(1, math.ceil((needed - 1) / multiple))
    if generate > max_frames:
        if needed > max_frames:
            raise CapabilityError(
                f"{duration_s:g}s needs {needed} frames at {native_fps} fps; "
                f"the model renders at most {max_frames}"
            )
        generate = max_frames
    if stretch:
        span = generate - 1 - skip
        source = tuple(
            skip + (round(i * span / (n_out - 1)) if n_out > 1 else span) for i in range(n_out)
        )
    else:
        ratio = Fraction(native_fps, fps)
        source = tuple(min(generate - 1, skip + math.floor(i * ratio)) for i in range(n_out))
    return FramePlan(generate=generate, source=source, fps=fps)


def fit_image(image: Any, size: tuple[int, int]) -> Any:
    """Centre-crop a PIL image to ``size``'s aspect ratio and resize it (Lanczos)."""
    from PIL import Image, ImageOps

    image = image.convert("RGB")
    if image.size == tuple(size):
        return image
    return ImageOps.fit(image, size, method=Image.Resampling.LANCZOS)


def write_mp4(
    frames: Any,
    plan: FramePlan,
    path: Path,
    *,
    size: tuple[int, int],
    crf: int = 18,
    preset: str = "medium",
) -> Path:
    """Encode ``frames`` (``(F, H, W, 3)`` floats in [0, 1] or uint8) as H.264 per ``plan``.

    Frames are resized to ``size`` (centre crop to its aspect ratio) when they differ.
    """
    import av
    import numpy as np
    from PIL import Image

    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"expected frames shaped (F, H, W, 3), got {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    width, height = size
    cache: dict[int, Any] = {}

    def frame(i: int) -> Any:
        if i not in cache:
            img = arr[i]
            if img.shape[1] != width or img.shape[0] != height:
                img = np.asarray(fit_image(Image.fromarray(img), (width, height)))
            cache.clear()  # source indices only move forward: keep one
            cache[i] = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
        return cache[i]

    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=plan.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, plan.fps)
        stream.options = {"crf": str(crf), "preset": preset}
        for pts, src in enumerate(plan.source):
            vf = frame(src)
            vf.pts = pts
            for pkt in stream.encode(vf):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    tmp.replace(path)
    return path


def read_last_frames(path: Path, count: int, size: tuple[int, int]) -> Sequence[Any]:
    """The last ``count`` frames of a clip as PIL images fitted to ``size`` (for extensions)."""
    import collections

    import av
    from ministudio.errors import MediaError

    try:
        with av.open(str(path)) as container:
            tail = collections.deque(
                (f.to_image() for f in container.decode(video=0)), maxlen=count
            )
    except (av.error.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot read the clip to extend, {path}: {exc}") from exc
    if not tail:
        raise MediaError(f"the clip to extend has no video frames: {path}")
    return [fit_image(img, size) for img in tail]
