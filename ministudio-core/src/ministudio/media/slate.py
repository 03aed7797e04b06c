"""A slate: a visible card standing in for a missing shot (``--allow-gaps``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ministudio.media.atomic import atomic_output

__all__ = ["slate_clip"]


def slate_clip(text: str, output: str | Path, *, duration_s: float, width: int, height: int,
               fps: int = 24, audio_rate: int = 48000, codec: str = "libx264") -> Path:
    """Write an H.264 clip of ``duration_s`` showing ``text`` on a dark striped card, with
    a silent AAC track (so the film's audio has no gap). Written atomically."""
    import av
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (width, height), (30, 30, 36))
    draw = ImageDraw.Draw(image)
    for x in range(-height, width, max(8, width // 16)):  # diagonal stripes: clearly a slate
        draw.line([(x, height), (x + height, 0)], fill=(48, 44, 30), width=max(2, width // 64))
    size = max(12, height // 12)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow < 10.1
        font = ImageFont.load_default()
    box = draw.multiline_textbbox((0, 0), text, font=font, align="center")
    x, y = (width - (box[2] - box[0])) // 2, (height - (box[3] - box[1])) // 2
    draw.rectangle([x - size, y - size // 2, x + box[2] - box[0] + size,
                    y + box[3] - box[1] + size // 2], fill=(180, 40, 40))
    draw.multiline_text((x, y), text, font=font, fill=(255, 255, 255), align="center")
    rgb = np.asarray(image)
    n = max(1, int(round(duration_s * fps)))
    output = Path(output)
    with atomic_output(output) as tmp, av.open(str(tmp), "w", format="mp4") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.time_base = Fraction(1, fps)
        vs.options = {"preset": "veryfast", "crf": "23"}
        as_ = out.add_stream("aac", rate=audio_rate)
        as_.layout = "stereo"
        base = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        for i in range(n):
            frame = base.reformat(format="yuv420p")
            frame.pts = i
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode(None):
            out.mux(pkt)
        total, pos = int(round(n / fps * audio_rate)), 0
        while pos < total:
            k = min(1024, total - pos)
            fr = av.AudioFrame.from_ndarray(np.zeros((2, k), np.float32), format="fltp",
                                            layout="stereo")
            fr.sample_rate, fr.pts = audio_rate, pos
            pos += k
            for pkt in as_.encode(fr):
                out.mux(pkt)
        for pkt in as_.encode(None):
            out.mux(pkt)
    return output
