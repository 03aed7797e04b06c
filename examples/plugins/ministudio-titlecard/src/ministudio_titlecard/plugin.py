"""The plugin module named by the ``ministudio`` entry point.

It stays light: Pillow, numpy and PyAV (and the request records) are imported inside
``generate_clip`` only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from ministudio import (
    ClipModel,
    Operation,
    Pricing,
    ProviderSpec,
    frame_size,
    hookimpl,
)

if TYPE_CHECKING:  # annotations only: `ministudio providers list` needs none of these
    from ministudio import CallContext, ClipRequest, ClipResult

MINISTUDIO_PLUGIN_API = 1

MODEL = ClipModel(
    id="card-1",
    description="white text on a dark card, fade in and out",
    min_duration_s=1.0,
    max_duration_s=30.0,
    aspect_ratios=("16:9", "9:16", "1:1", "4:3"),
    resolutions=("360p", "480p", "720p", "1080p"),
    fps=(24, 25, 30),
    seed=False,
    negative_prompt=False,
    max_prompt_chars=200,
    pricing=Pricing(per_second=Decimal(0), as_of=date(2026, 11, 25), source="free, runs locally"),
)


@hookimpl
def register_providers():
    yield ProviderSpec(
        name="titlecard",
        operations={Operation.CLIP},
        description="Title cards rendered locally (tutorial example)",
        clip_models=(MODEL,),
        docs_url="https://github.com/ministudio/ministudio/blob/main/docs/plugin-tutorial.md",
    )


def _card(text: str, width: int, height: int):  # type: ignore[no-untyped-def]
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), (18, 20, 28))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(14, height // 14))
    lines = textwrap.wrap(text, width=max(10, int(width / (height / 14) / 0.6)))
    line_h = int(height / 14 * 1.3)
    y = (height - line_h * len(lines)) // 2
    for line in lines:
        w = draw.textlength(line, font=font)
        draw.text(((width - w) / 2, y), line, font=font, fill=(235, 235, 235))
        y += line_h
    return img


def render_card(request: ClipRequest, path: Path) -> tuple[int, int]:
    import av
    import numpy as np

    width, height = frame_size(request.aspect_ratio, request.resolution)
    text = request.direction.get("title") or request.direction.get("action") or request.prompt
    card = np.asarray(_card(str(text), width, height), dtype=np.float32)
    frames = int(round(request.duration_s * request.fps))
    fade = max(1, min(frames // 4, request.fps // 2))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=request.fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "23"}
        for i in range(frames):
            level = min(1.0, (i + 1) / fade, (frames - i) / fade)
            frame = av.VideoFrame.from_ndarray((card * level).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return width, height


@hookimpl
def generate_clip(request: ClipRequest, context: CallContext) -> ClipResult:
    from ministudio import ClipResult

    path = context.workdir / f"titlecard-{request.shot_id or 'clip'}.mp4"
    context.log.info("titlecard.render", duration=request.duration_s)
    width, height = render_card(request, path)
    return ClipResult(
        path=path, provider=request.provider, model=request.model,
        duration_s=request.duration_s, width=width, height=height, fps=request.fps,
        cost=Decimal(0),
    )
