"""Build the board's layers once per shot: the backdrop plate and the character cards.

Everything here is computed before the first frame; the per-frame work (in
:mod:`ministudio_local.animatic.render`) is only a resample of the backdrop, a paste of each
card and the overlays.
"""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
from ministudio.errors import MediaError
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from ministudio_local.animatic.caption import displayable, fit_text, font
from ministudio_local.animatic.plan import CharacterCard, ShotPlan

__all__ = ["Card", "build_backdrop", "build_cards", "load_image"]

# lighting keyword -> (sky, ground, glow colour, glow position x, glow y)
_LIGHT = {
    "night": ("#0d1633", "#161a24", "#7f9bd6", 0.78, 0.18),
    "moon": ("#101a3a", "#181c28", "#aab8e0", 0.78, 0.18),
    "dusk": ("#2c2a55", "#2b2430", "#ff9a62", 0.30, 0.55),
    "sunset": ("#5b3d6b", "#3a2a2a", "#ffb066", 0.30, 0.56),
    "golden": ("#e2a86a", "#6b5440", "#ffe0a0", 0.25, 0.45),
    "dawn": ("#8fa3c7", "#5c5a55", "#ffd2a6", 0.72, 0.55),
    "morning": ("#b8cde0", "#7b8570", "#fff3d6", 0.7, 0.2),
    "noon": ("#a9cdef", "#8c8f77", "#ffffff", 0.5, 0.05),
    "day": ("#a9c8e6", "#8a8d78", "#fffbe8", 0.65, 0.1),
    "overcast": ("#9aa3ab", "#6f736f", "#e6e9ec", 0.5, 0.1),
    "rain": ("#6d7782", "#474c52", "#c8d2dc", 0.5, 0.1),
    "neon": ("#1a0f33", "#120d1c", "#ff3fb4", 0.25, 0.5),
    "interior": ("#6e6258", "#4a4038", "#ffd9a0", 0.5, 0.12),
    "candle": ("#2a1a10", "#1c130c", "#ffb347", 0.5, 0.5),
    "fluorescent": ("#c7d3cc", "#8f9992", "#f4fff8", 0.5, 0.02),
}
_DEFAULT_LIGHT = ("#7d8b99", "#5d5f5c", "#f2eee4", 0.62, 0.12)


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float32)


def load_image(path: Path, what: str) -> Image.Image:
    """Open an image as RGB, or raise a one-line :class:`MediaError` naming ``what``."""
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
                return Image.alpha_composite(bg, im).convert("RGB")
            return im.convert("RGB")
    except FileNotFoundError:
        raise MediaError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise MediaError(f"cannot read {what} {path}: {exc}") from None


def _light(plan: ShotPlan) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    text = f"{plan.lighting} {plan.environment} {plan.mood}".lower()
    sky, ground, glow, gx, gy = _DEFAULT_LIGHT
    for key, value in _LIGHT.items():
        if key in text:
            sky, ground, glow, gx, gy = value
            break
    if any(w in text for w in ("interior", "room", "office", "kitchen", "inside", "int.")):
        if not any(k in plan.lighting.lower() for k in _LIGHT):
            sky, ground, glow, gx, gy = _LIGHT["interior"]
    pal = plan.palette
    if pal:
        sky = pal[0]
        ground = pal[1] if len(pal) > 1 else ground
        glow = pal[2] if len(pal) > 2 else glow
    return _rgb(sky), _rgb(ground), _rgb(glow), gx, gy


def _painted_backdrop(plan: ShotPlan, w: int, h: int, rng: np.random.Generator) -> Image.Image:
    """A set drawn from palette and lighting: graded sky/wall, floor with a perspective grid,
    a light source glow and paper grain, like a quick marker sketch of the location."""
    sky, ground, glow, gx, gy = _light(plan)
    horizon = 0.58
    y = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    upper = np.clip(y / horizon, 0, 1)
    lower = np.clip((y - horizon) / (1 - horizon), 0, 1)
    sky_top = sky * 0.72
    img = np.where(
        (y < horizon)[..., None],
        (sky_top * (1 - upper) + sky * upper)[..., None, :].repeat(1, axis=1),
        (ground * 1.08 * (1 - lower) + ground * 0.62 * lower)[..., None, :],
    )
    img = np.broadcast_to(img, (h, w, 3)).copy()
    # light source glow
    aspect = w / h
    dist = np.sqrt(((x - gx) * aspect) ** 2 + (y - gy) ** 2)
    g = np.exp(-(dist / 0.42) ** 2)[..., None]
    img = img * (1 - 0.55 * g) + glow * 0.55 * g
    # paper grain
    grain = rng.normal(0.0, 4.0, (h // 2 + 1, w // 2 + 1)).astype(np.float32)
    grain = np.kron(grain, np.ones((2, 2), np.float32))[:h, :w, None]
    img = np.clip(img + grain, 0, 255).astype(np.uint8)
    im = Image.fromarray(img, "RGB")
    draw = ImageDraw.Draw(im, "RGBA")
    hy = int(horizon * h)
    line = (255, 255, 255, 70)
    vx = int(w * (0.5 + rng.uniform(-0.08, 0.08)))
    # perspective floor grid converging on the vanishing point
    for k in range(-14, 15):
        x_end = vx + k * w * 0.12
        draw.line([(vx, hy), (x_end, h)], fill=line, width=1)
    for k in range(1, 9):
        yy = hy + (h - hy) * (k / 9) ** 1.8
        draw.line([(0, yy), (w, yy)], fill=line, width=1)
    draw.line([(0, hy), (w, hy)], fill=(255, 255, 255, 120), width=2)
    # a few loose "set" blocks sketched on the horizon, seeded
    for _ in range(int(rng.integers(3, 6))):
        bw = rng.uniform(0.05, 0.16) * w
        bh = rng.uniform(0.06, 0.22) * h
        bx = rng.uniform(0.0, 1.0) * w
        shade = tuple(int(v) for v in (sky * 0.55 + ground * 0.25)) + (90,)
        draw.rectangle([bx, hy - bh, bx + bw, hy], fill=shade, outline=(255, 255, 255, 60))
    return im


def _colour_transfer(im: Image.Image, style: Image.Image, strength: float = 0.4) -> Image.Image:
    """Move the plate's per-channel mean/std part of the way to the style image's."""
    a = np.asarray(im, dtype=np.float32)
    b = np.asarray(style.resize((128, 128)), dtype=np.float32)
    am, asd = a.mean(axis=(0, 1)), a.std(axis=(0, 1)) + 1e-3
    bm, bsd = b.mean(axis=(0, 1)), b.std(axis=(0, 1)) + 1e-3
    out = (a - am) / asd * bsd + bm
    out = a * (1 - strength) + out * strength
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def _vignette(im: Image.Image, amount: float = 0.35) -> Image.Image:
    w, h = im.size
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    v = 1.0 - amount * np.clip((x**2 + y**2) / 2.0, 0, 1) ** 1.5
    a = np.asarray(im, dtype=np.float32) * v[..., None]
    return Image.fromarray(a.astype(np.uint8), "RGB")


def cover(im: Image.Image, size: tuple[int, int], centering: tuple[float, float] = (0.5, 0.5)) -> Image.Image:
    return ImageOps.fit(im, size, Image.Resampling.LANCZOS, centering=centering)


def build_backdrop(plan: ShotPlan, size: tuple[int, int], rng: np.random.Generator) -> Image.Image:
    """The far layer at ``size`` (the frame plus overscan for the camera move)."""
    w, h = size
    if plan.backdrop is not None:
        plate = cover(load_image(plan.backdrop, "environment image"), (w, h))
        # a storyboard plate: slightly muted so the cards and captions read on top
        grey = ImageOps.grayscale(plate).convert("RGB")
        plate = Image.blend(plate, grey, 0.18)
    else:
        plate = _painted_backdrop(plan, w, h, rng)
    if plan.style is not None:
        plate = _colour_transfer(plate, load_image(plan.style, "style image"))
    return _vignette(plate)


@attrs.frozen(kw_only=True)
class Card:
    """A character card: an RGBA sprite and where its centre sits at camera zoom 1."""

    sprite: Image.Image = attrs.field(eq=False)
    cx: float
    cy: float
    #: the card's height in frame pixels at zoom 1 (sprite may be larger for sharpness)
    height: float
    name: str


def _mask(w: int, h: int, feather: float) -> Image.Image:
    """A soft superellipse: a head-and-shoulders cut-out with feathered edges."""
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    r = (np.abs(x) ** 3.2 + np.abs(y) ** 3.2) ** (1 / 3.2)
    m = np.clip((1.0 - r) / feather, 0, 1)
    return Image.fromarray((m * 255).astype(np.uint8), "L")


def _silhouette(w: int, h: int, tone: tuple[int, int, int]) -> Image.Image:
    """A placeholder figure (head and shoulders), as a storyboard artist would block it in."""
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    fill = (*tone, 235)
    edge = (255, 255, 255, 200)
    lw = max(2, w // 90)
    d.ellipse([w * 0.05, h * 0.62, w * 0.95, h * 1.35], fill=fill, outline=edge, width=lw)
    d.ellipse([w * 0.30, h * 0.14, w * 0.70, h * 0.64], fill=fill, outline=edge, width=lw)
    return im


def _portrait_sprite(path: Path, w: int, h: int, dark: float) -> Image.Image:
    face = cover(load_image(path, "character portrait"), (w, h), centering=(0.5, 0.35))
    if dark:
        face = Image.blend(face, Image.new("RGB", face.size, (10, 10, 14)), dark)
        face = face.filter(ImageFilter.GaussianBlur(radius=max(2, w // 80)))
    sprite = face.convert("RGBA")
    sprite.putalpha(_mask(w, h, 0.16))
    return sprite


def _name_tag(sprite: Image.Image, name: str, scale: float, note: str = "") -> Image.Image:
    """A lower-third style label across the card's chest, so it stays clear of the caption;
    a second, smaller line carries the shot's wardrobe / condition when it has one."""
    if not name:
        return sprite
    name = displayable(name)
    w, h = sprite.size
    f = font(max(12, int(22 * scale)))
    fn = font(max(10, int(15 * scale)))
    pad = int(8 * scale)
    note = fit_text(note, fn, w * 0.92 - 2 * pad) if note else ""
    tw = int(max(f.getlength(name.upper()), fn.getlength(note) if note else 0)) + 2 * pad
    line = int(f.size * 1.35)
    th = line + pad + (int(fn.size * 1.3) if note else 0)
    out = sprite.copy()
    d = ImageDraw.Draw(out)
    x0 = max(0, (w - tw) // 2)
    y0 = int(h * 0.70)
    d.rounded_rectangle([x0, y0, x0 + tw, y0 + th], radius=line // 3, fill=(20, 20, 24, 210),
                        outline=(255, 214, 102, 230), width=max(1, int(2 * scale)))
    d.text((w // 2, y0 + (line + pad) // 2), name.upper(), font=f, fill=(255, 240, 200, 255),
           anchor="mm")
    if note:
        d.text((w // 2, y0 + line + pad // 2 + int(fn.size * 0.6)), note, font=fn,
               fill=(215, 215, 225, 255), anchor="mm")
    return out


def _shadow(sprite: Image.Image, offset: int, blur: int) -> Image.Image:
    w, h = sprite.size
    out = Image.new("RGBA", (w + 2 * blur + offset, h + 2 * blur + offset), (0, 0, 0, 0))
    alpha = sprite.getchannel("A").point(lambda a: a * 0.5)
    shadow = Image.new("RGBA", sprite.size, (0, 0, 0, 255))
    shadow.putalpha(alpha)
    out.paste(shadow, (blur + offset, blur + offset), shadow)
    out = out.filter(ImageFilter.GaussianBlur(blur / 2))
    out.alpha_composite(sprite, (blur, blur))
    return out


_TONES = [(70, 84, 110), (110, 80, 72), (74, 98, 80), (100, 90, 120), (120, 104, 70), (80, 80, 80)]


def _listener_first(plan: ShotPlan, chars: list[CharacterCard]) -> list[CharacterCard]:
    """Over the shoulder: the camera looks past the listener onto the speaker, so the
    foreground shoulder is someone who is not the shot's first speaker."""
    speaker = next((sp.lower() for sp, _ in plan.dialogue if sp), None)
    if speaker is None:
        return chars
    talking = [i for i, c in enumerate(chars) if speaker in (c.name.lower(), c.id.lower())]
    if not talking:
        return chars
    listener = next(i for i in range(len(chars)) if i != talking[0])
    return [chars[listener]] + [c for i, c in enumerate(chars) if i != listener]


def build_cards(plan: ShotPlan, max_zoom: float, *, tags: bool = True) -> list[Card]:
    """Place the characters by shot type: card size from the shot scale, spread across the
    frame (one: slightly off-centre with lead room; two: on the thirds; over-the-shoulder: the
    listener as a dark foreground shoulder, the speaker whole in frame). ``tags=False``: no
    name tags (the bare picture a transition blends)."""
    chars: list[CharacterCard] = list(plan.characters)
    if not chars:
        return []
    W, H = plan.width, plan.height
    n = len(chars)
    card_h = plan.card_height * H
    card_w = card_h * 0.78
    ots = plan.shot_type == "over-the-shoulder" and n >= 2
    if ots:
        chars = _listener_first(plan, chars)
        rest = n - 1
        if rest * card_w > 0.62 * W:  # the speaker(s) fit in the frame beside the shoulder
            card_w = 0.62 * W / rest
            card_h = card_w / 0.78
    elif n * card_w > 0.92 * W:
        card_w = 0.92 * W / n
        card_h = card_w / 0.78
    if n == 1:
        xs = [0.5 if plan.shot_type in ("close-up", "extreme-close-up", "insert") else 0.42]
    elif ots:
        rest = n - 1
        right = min(0.64, 0.97 - rest * card_w / W / 2)
        # the shoulder's place is set once its sprite is built (below)
        xs = [0.0] + [right + (0.0 if rest == 1 else 0.24 * (i / (rest - 1) - 0.5))
                      for i in range(rest)]
    elif n == 2:
        xs = [0.33, 0.67]
    else:
        xs = [0.2 + 0.6 * i / (n - 1) for i in range(n)]
    cards: list[Card] = []
    q = min(max_zoom, 1.6)  # render sprites a bit larger than needed so push-ins stay sharp
    for i, (ch, xf) in enumerate(zip(chars, xs, strict=True)):
        fg = ots and i == 0
        h = card_h * (1.35 if fg else 1.0)
        w = card_w * (1.35 if fg else 1.0)
        sw, sh = max(8, int(w * q)), max(8, int(h * q))
        if ch.portrait is not None:
            sprite = _portrait_sprite(ch.portrait, sw, sh, dark=0.7 if fg else 0.0)
        else:
            sprite = _silhouette(sw, sh, (30, 30, 34) if fg else _TONES[i % len(_TONES)])
        if not fg and tags and plan.labels_on_cards:
            sprite = _name_tag(sprite, ch.name, scale=max(0.6, sh / 700), note=ch.note)
        scale = max(1, int(sh / 120))
        sprite = _shadow(sprite, offset=2 * scale, blur=3 * scale)
        cy = plan.card_center_y * H + (0.1 * H if fg else 0.0)
        cx = xf * W
        if not fg and w < W:  # keep a whole card in frame (narrow formats)
            cx = min(max(cx, w / 2 + 0.02 * W), W - w / 2 - 0.02 * W)
        cards.append(Card(sprite=sprite, cx=cx, cy=cy, height=sprite.size[1] / q, name=ch.name))
    # near cards drawn last (over-the-shoulder foreground on top)
    if ots:
        # the shoulder covers at most the outer quarter of the speaker's card, never the face
        fg, speaker = cards[0], cards[1]
        edge = speaker.cx - speaker.sprite.size[0] / 4
        cards = cards[1:] + [attrs.evolve(fg, cx=edge - fg.sprite.size[0] / 2)]
    return cards


def fit_overscan(
    w: int, h: int, max_offset: float, min_zoom: float, max_zoom: float
) -> tuple[int, int, float]:
    """Backdrop canvas size covering every camera position, and its pixels per frame pixel."""
    ext = (1.0 / min_zoom) + 2.0 * max_offset + 0.02
    q = min(max(1.0, max_zoom), 1.1)
    cw, ch = int(math.ceil(w * ext * q)), int(math.ceil(h * ext * q))
    return cw, ch, q
