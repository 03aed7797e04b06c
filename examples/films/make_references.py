"""Draw the reference images of the example films (stylised character sheets and environment
plates) with Pillow. Deterministic: running it again writes the same pixels.

    python examples/films/make_references.py

Writes into ``examples/films/*/refs/`` and the ``ministudio init`` template
(``ministudio-core/src/ministudio/film/templates/refs/``).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1] / "ministudio-core" / "src" / "ministudio" / "film" / "templates"

CHARACTERS = {
    # id: (skin, hair, hair style, eyes, wardrobe, accent, background)
    "ada": ("#8d5a3b", "#1b1b1b", "bun", "#3b2416", "#2f6f8f", "#f2c14e", "#e8eef2"),
    "mira": ("#f1c7a1", "#c0392b", "bob", "#2e7d32", "#f1c40f", "#34495e", "#fdf3e1"),
    "theo": ("#9a6a48", "#2d2d2d", "short", "#4e342e", "#1f3a93", "#e67e22", "#e9f1fb"),
    "pip": ("#ffd7b5", "#f39c12", "curly", "#1565c0", "#27ae60", "#8e44ad", "#f4fbef"),
}


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _tone(rgb: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, int(c * k))) for c in rgb)  # type: ignore[return-value]


def _shade(img: Image.Image, box: list[float], colour: tuple[int, int, int], strength: float,
           blur: float) -> Image.Image:
    """A soft blob of ``colour`` (shadow or light): the modelling that makes a drawn face read
    as a face, to people and to a face detector."""
    layer = Image.new("L", img.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=int(255 * strength))
    return Image.composite(Image.new("RGB", img.size, colour), img,
                           layer.filter(ImageFilter.GaussianBlur(blur)))


def portrait(cid: str, path: Path, *, wardrobe: str | None = None) -> None:
    """A character sheet portrait: head and shoulders, front view, even light, plain
    background; no name or colour swatches drawn in (the film shows names itself). Drawn with
    shaded eye sockets, nose and jaw so a face detector finds the face (the ``face`` identity
    scorer then compares real face embeddings, not colours)."""
    skin_hex, hair_hex, style, eyes_hex, cloth_hex, accent_hex, bg = CHARACTERS[cid]
    skin, hair, eyes = _rgb(skin_hex), _rgb(hair_hex), _rgb(eyes_hex)
    cloth, accent = _rgb(wardrobe or cloth_hex), _rgb(accent_hex)
    dark = _tone(skin, 0.62)
    w, h = 512, 640
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    cx = w // 2
    # hair behind the head
    if style == "bob":
        d.rounded_rectangle([cx - 150, 90, cx + 150, 430], radius=110, fill=hair)
    elif style == "curly":
        for dx, dy in ((-120, 190), (120, 190), (-100, 130), (100, 130), (0, 105), (-55, 110),
                       (55, 110), (-135, 260), (135, 260)):
            d.ellipse([cx + dx - 58, dy - 58, cx + dx + 58, dy + 58], fill=hair)
    elif style == "bun":
        d.ellipse([cx - 56, 40, cx + 56, 150], fill=hair)
    if style in ("short", "bun"):  # close at the sides: a rim of hair down to the ears
        d.ellipse([cx - 140, 104, cx + 140, 330], fill=hair)
    # shoulders, collar, neck and the shadow under the jaw
    d.rounded_rectangle([cx - 230, 520, cx + 230, 760], radius=90, fill=cloth)
    d.polygon([(cx - 58, 522), (cx + 58, 522), (cx, 600)], fill=accent)
    d.rectangle([cx - 52, 400, cx + 52, 540], fill=skin)
    img = _shade(img, [cx - 60, 400, cx + 60, 470], dark, 0.7, 14)
    d = ImageDraw.Draw(img)
    # ears, head, cheek shading
    d.ellipse([cx - 138, 250, cx - 100, 330], fill=skin)
    d.ellipse([cx + 100, 250, cx + 138, 330], fill=skin)
    if style == "short":  # a squarer jaw
        d.ellipse([cx - 122, 122, cx + 122, 452], fill=skin)
    else:
        d.ellipse([cx - 118, 120, cx + 118, 450], fill=skin)
    img = _shade(img, [cx - 125, 160, cx - 60, 430], dark, 0.35, 24)
    img = _shade(img, [cx + 60, 160, cx + 125, 430], dark, 0.35, 24)
    d = ImageDraw.Draw(img)
    # hair on top
    if style == "bob":
        d.chord([cx - 126, 100, cx + 126, 300], 180, 360, fill=hair)
    elif style == "short":
        d.chord([cx - 122, 112, cx + 122, 260], 180, 360, fill=hair)
    elif style == "curly":
        for dx in (-80, -27, 27, 80):
            d.ellipse([cx + dx - 40, 130, cx + dx + 40, 200], fill=hair)
    else:  # hair pulled back into the bun
        d.chord([cx - 120, 112, cx + 120, 250], 180, 360, fill=hair)
    if style == "short":  # a short, neat beard: a soft shadow of stubble along the jaw
        img = _shade(img, [cx - 112, 330, cx + 112, 456], hair, 0.55, 8)
        d = ImageDraw.Draw(img)
        d.ellipse([cx - 40, 366, cx + 40, 404], fill=skin)
    # eye sockets, eyes, brows
    brow = _tone(hair, 0.45) if sum(hair) > 150 else hair
    for ex in (cx - 48, cx + 48):
        img = _shade(img, [ex - 38, 245, ex + 38, 300], dark, 0.45, 10)
    d = ImageDraw.Draw(img)
    for ex in (cx - 48, cx + 48):
        d.ellipse([ex - 24, 262, ex + 24, 286], fill=(250, 250, 250))
        d.ellipse([ex - 12, 261, ex + 12, 286], fill=eyes)
        d.ellipse([ex - 6, 267, ex + 6, 280], fill=(15, 15, 15))
        d.ellipse([ex + 2, 266, ex + 6, 270], fill=(255, 255, 255))
        d.arc([ex - 26, 256, ex + 26, 292], 190, 350, fill=(40, 30, 30), width=4)
        d.line([ex - 34, 238, ex + 30, 232] if ex < cx else [ex - 30, 232, ex + 34, 238],
               fill=brow, width=9)
    if cid == "mira":  # freckles
        for fx, fy in ((-70, 318), (-58, 330), (-80, 334), (70, 318), (58, 330), (80, 334)):
            d.ellipse([cx + fx - 3, fy - 3, cx + fx + 3, fy + 3], fill=_tone(skin, 0.72))
    # light on the forehead, nose bridge and cheekbones (what models a darker face)
    light = _tone(skin, 1.0 + 0.9 * max(0.0, 0.6 - sum(skin) / 765))
    if light != skin:
        for box in ([cx - 60, 165, cx + 60, 225], [cx - 9, 270, cx + 9, 340],
                    [cx - 95, 300, cx - 45, 335], [cx + 45, 300, cx + 95, 335]):
            img = _shade(img, box, light, 0.6, 10)
    # nose and mouth
    img = _shade(img, [cx - 26, 290, cx - 6, 350], dark, 0.45, 6)
    img = _shade(img, [cx - 22, 340, cx + 22, 362], dark, 0.5, 5)
    d = ImageDraw.Draw(img)
    d.ellipse([cx - 16, 346, cx - 6, 354], fill=_tone(skin, 0.45))
    d.ellipse([cx + 6, 346, cx + 16, 354], fill=_tone(skin, 0.45))
    d.chord([cx - 36, 370, cx + 36, 410], 0, 180, fill=(150, 60, 60))
    d.line([cx - 36, 390, cx + 36, 390], fill=(90, 30, 30), width=3)
    img = img.filter(ImageFilter.GaussianBlur(1.5))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


def _gradient(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: str, bottom: str) -> None:
    x0, y0, x1, y1 = box
    t = tuple(int(top[i:i + 2], 16) for i in (1, 3, 5))
    b = tuple(int(bottom[i:i + 2], 16) for i in (1, 3, 5))
    for y in range(y0, y1):
        f = (y - y0) / max(y1 - y0 - 1, 1)
        d.line([x0, y, x1, y], fill=tuple(int(t[i] + (b[i] - t[i]) * f) for i in range(3)))


def plate(kind: str, path: Path, size: tuple[int, int]) -> None:
    """An environment plate: the place with its palette, fixed elements and light. Drawn at
    twice ``size`` and downsampled, so edges stay smooth at 720p and above."""
    w, h = size[0] * 2, size[1] * 2
    u = min(w, h) / 180  # line widths and dots scale with the plate
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    horizon = int(h * 0.62)
    if kind == "shore":
        _gradient(d, (0, 0, w, horizon), "#2c3e73", "#f3a65a")
        r = 26 * u
        d.ellipse([w * 0.62, horizon - 1.75 * r, w * 0.62 + 2 * r, horizon + 0.25 * r],
                  fill="#ffe7a3")
        _gradient(d, (0, horizon, w, int(h * 0.8)), "#1f5f7a", "#2a7f8f")
        d.polygon([(0, int(h * 0.8)), (w, int(h * 0.74)), (w, h), (0, h)], fill="#e6c98f")
        d.rectangle([int(w * 0.15), int(h * 0.55), int(w * 0.17), int(h * 0.86)], fill="#5b3a29")
        d.polygon([(int(w * 0.12), int(h * 0.56)), (int(w * 0.20), int(h * 0.56)),
                   (int(w * 0.16), int(h * 0.48))], fill="#c0392b")
    elif kind == "space":
        d.rectangle([0, 0, w, h], fill="#0b1026")
        for i in range(240):
            x, y = (i * 977) % w, (i * 533) % h
            r = u * (0.4 if i % 5 else 0.8)
            d.ellipse([x - r, y - r, x + r, y + r], fill="#ffffff")
        d.ellipse([int(w * 0.18), int(h * 0.25), int(w * 0.18) + int(h * 0.5), int(h * 0.75)],
                  fill="#2e86de", outline="#9fd3ff", width=int(3 * u))
        d.ellipse([int(w * 0.24), int(h * 0.34), int(w * 0.24) + int(h * 0.16), int(h * 0.48)],
                  fill="#27ae60")
        d.ellipse([int(w * 0.72), int(h * 0.4), int(w * 0.72) + int(h * 0.16), int(h * 0.56)],
                  fill="#d5d8dc", outline="#aab7b8", width=int(2 * u))
    elif kind == "bus-stop":
        _gradient(d, (0, 0, w, h), "#3d4f63", "#6b7d8f")
        d.rectangle([0, int(h * 0.78), w, h], fill="#2b2f33")
        d.rectangle([int(w * 0.1), int(h * 0.35), int(w * 0.9), int(h * 0.38)], fill="#95a5a6")
        for x in (0.12, 0.88):
            d.rectangle([int(w * x - 3 * u), int(h * 0.36), int(w * x + 3 * u), int(h * 0.78)],
                        fill="#7f8c8d")
        d.rectangle([int(w * 0.2), int(h * 0.62), int(w * 0.8), int(h * 0.66)], fill="#8e5b3a")
        d.rectangle([int(w * 0.62), int(h * 0.42), int(w * 0.84), int(h * 0.56)], fill="#f1c40f")
        d.text((int(w * 0.73), int(h * 0.49)), "42", fill="#222", font=_font(int(16 * u)),
               anchor="mm")
        for i in range(360):
            x, y = (i * 373) % w, (i * 719) % h
            d.line([x, y, x - 3 * u, y + 12 * u], fill="#b7c9d9", width=max(1, int(u / 2)))
    elif kind == "cafe":
        _gradient(d, (0, 0, w, h), "#6d4c41", "#a1887f")
        d.rectangle([0, int(h * 0.72), w, h], fill="#4e342e")
        d.rectangle([int(w * 0.08), int(h * 0.12), int(w * 0.92), int(h * 0.42)], fill="#ffe0b2",
                    outline="#3e2723", width=int(4 * u))
        d.line([w // 2, int(h * 0.12), w // 2, int(h * 0.42)], fill="#3e2723", width=int(4 * u))
        for x in (0.25, 0.5, 0.75):
            d.line([int(w * x), 0, int(w * x), int(h * 0.08)], fill="#212121", width=int(2 * u))
            d.ellipse([int(w * x - 10 * u), int(h * 0.08), int(w * x + 10 * u),
                       int(h * 0.08 + 14 * u)], fill="#ffca28")
        d.rectangle([int(w * 0.15), int(h * 0.6), int(w * 0.85), int(h * 0.64)], fill="#8d6e63")
        d.ellipse([int(w * 0.45), int(h * 0.55), int(w * 0.55), int(h * 0.6)], fill="#fafafa")
    elif kind == "studio":
        _gradient(d, (0, 0, w, h), "#f5f7fa", "#c3cfe2")
        d.rectangle([0, int(h * 0.75), w, h], fill="#8395a7")
        d.rounded_rectangle([int(w * 0.55), int(h * 0.2), int(w * 0.9), int(h * 0.6)],
                            radius=int(8 * u), fill="#ffffff", outline="#576574", width=int(3 * u))
        d.line([int(w * 0.6), int(h * 0.5), int(w * 0.7), int(h * 0.38), int(w * 0.78),
                int(h * 0.44), int(w * 0.86), int(h * 0.28)], fill="#ee5253", width=int(3 * u))
        d.rectangle([int(w * 0.1), int(h * 0.6), int(w * 0.4), int(h * 0.64)], fill="#576574")
    img = img.resize(size, Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


def main() -> None:
    tides = HERE / "tides-explainer" / "refs"
    portrait("ada", tides / "ada.png")
    plate("shore", tides / "shore.png", (1280, 720))
    plate("space", tides / "space.png", (1280, 720))

    umbrella = HERE / "umbrella-dialogue" / "refs"
    portrait("mira", umbrella / "mira.png")
    portrait("theo", umbrella / "theo.png")
    plate("bus-stop", umbrella / "bus-stop.png", (720, 1280))
    plate("cafe", umbrella / "cafe.png", (720, 1280))

    refs = TEMPLATE / "refs"
    portrait("pip", refs / "pip.png")
    plate("studio", refs / "studio.png", (1280, 720))
    print("wrote reference images under", HERE.name, "and the init template")


if __name__ == "__main__":
    main()
