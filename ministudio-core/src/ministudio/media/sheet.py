"""Contact sheet: one labelled frame per shot, tiled into a PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ministudio.errors import MediaError
from ministudio.media.atomic import atomic_output

__all__ = ["contact_sheet"]


def _thumb(path: Path | Any, width: int):  # type: ignore[no-untyped-def]
    from PIL import Image

    from ministudio.media.look import _IMAGE_SUFFIXES, sample_frames

    image: Any
    if isinstance(path, Image.Image):
        image = path.convert("RGB")
    elif path.suffix.lower() in _IMAGE_SUFFIXES:
        try:
            with Image.open(path) as im:
                image = im.convert("RGB")
        except OSError as exc:
            raise MediaError(f"{path}: not a readable image ({exc})") from exc
    else:
        image = sample_frames(path, 1)[0][1]  # the middle frame
    h = max(1, round(image.height * width / image.width))
    return image.resize((width, h))


def contact_sheet(items: Sequence[tuple[str | Path | Any, str]], output: str | Path, *,
                  columns: int = 4, thumb_width: int = 320) -> Path:
    """Tile the middle frame of each clip (or each image) with its label under it.

    ``items`` are ``(path, label)`` or ``(PIL image, label)``; a path that is missing or
    unreadable gets a grey "unavailable" tile instead of failing the whole sheet. Written
    atomically as PNG.
    """
    from PIL import Image, ImageDraw, ImageFont

    if not items:
        raise MediaError("contact sheet needs at least one item")
    thumbs = []
    for path, label in items:
        try:
            thumbs.append((_thumb(path if hasattr(path, "crop") else Path(path), thumb_width),
                           label))
        except MediaError:
            thumbs.append((None, f"{label} (unavailable)"))
    th = max((t.height for t, _ in thumbs if t is not None), default=thumb_width * 9 // 16)
    font_size = max(12, thumb_width // 20)
    try:
        font = ImageFont.load_default(size=font_size)
    except TypeError:  # pragma: no cover - Pillow < 10.1
        font = ImageFont.load_default()
    pad, label_h = 8, font_size + 8
    cols = max(1, min(columns, len(thumbs)))
    rows = -(-len(thumbs) // cols)
    sheet = Image.new("RGB", (pad + cols * (thumb_width + pad),
                              pad + rows * (th + label_h + pad)), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, (thumb, label) in enumerate(thumbs):
        x = pad + (i % cols) * (thumb_width + pad)
        y = pad + (i // cols) * (th + label_h + pad)
        if thumb is None:
            draw.rectangle([x, y, x + thumb_width - 1, y + th - 1], fill=(90, 90, 90))
        else:
            sheet.paste(thumb, (x, y + (th - thumb.height) // 2))
        text = label
        while text and draw.textlength(text, font=font) > thumb_width:
            text = text[:-2] + "…"
        draw.text((x, y + th + 4), text, fill=(235, 235, 235), font=font)
    output = Path(output)
    with atomic_output(output) as tmp:
        sheet.save(tmp, format="PNG")
    return output
