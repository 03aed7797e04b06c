"""Placeholder reference portraits for drafted characters, drawn offline with Pillow.

A drafted film names no reference images; :func:`draw_portrait` draws a plain head-and-
shoulders placeholder (colours from the character id, so the same id always gives the same
picture) so the film renders on the offline default at once. Replace them with real portraits
before a paid render: they ground nothing but colour.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["draw_portrait"]

_SKIN = ("#f1c7a1", "#d9a066", "#a86b45", "#8d5a3b", "#ffd7b5", "#6b4226")
_HAIR = ("#1b1b1b", "#4e342e", "#c0392b", "#f39c12", "#7f8c8d", "#2d2d2d", "#d4a017")
_CLOTH = ("#2f6f8f", "#27ae60", "#8e44ad", "#c0392b", "#1f3a93", "#e67e22", "#16a085")


def draw_portrait(character_id: str, path: Path, *, long_hair: bool = False) -> Path:
    """Draw the placeholder for ``character_id`` into ``path`` (PNG, 512x640)."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(character_id.encode()).digest()
    skin, hair, cloth = (_SKIN[digest[0] % len(_SKIN)], _HAIR[digest[1] % len(_HAIR)],
                         _CLOTH[digest[2] % len(_CLOTH)])
    w, h, cx = 512, 640, 256
    img = Image.new("RGB", (w, h), "#e9eef3")
    d = ImageDraw.Draw(img)
    if long_hair:
        d.rounded_rectangle([cx - 150, 100, cx + 150, 470], radius=110, fill=hair)
    d.rounded_rectangle([cx - 230, 520, cx + 230, 760], radius=90, fill=cloth)
    d.rectangle([cx - 52, 400, cx + 52, 540], fill=skin)
    d.ellipse([cx - 125, 130, cx + 125, 450], fill=skin)
    d.chord([cx - 135, 100, cx + 135, 330], 180, 360, fill=hair)
    for ex in (cx - 50, cx + 50):
        d.ellipse([ex - 18, 265, ex + 18, 290], fill="#ffffff")
        d.ellipse([ex - 9, 268, ex + 9, 287], fill="#3b2416")
    d.line([cx, 300, cx - 8, 350, cx + 6, 352], fill="#00000040", width=4)
    d.arc([cx - 45, 350, cx + 45, 400], 20, 160, fill="#8b3a3a", width=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")
    return path
