"""Draw the reference images of the example films (stylised character sheets and environment
plates) with Pillow. Deterministic: running it again writes the same pixels.

    python examples/films/make_references.py

Writes into ``examples/films/*/refs/`` and the ``ministudio init`` template
(``ministudio-core/src/ministudio/film/templates/refs/``).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parents[1] / "ministudio-core" / "src" / "ministudio" / "film" / "templates"

CHARACTERS = {
    # id: (name, skin, hair, hair style, eyes, wardrobe, accent, background)
    "ada": ("Dr. Ada", "#8d5a3b", "#1b1b1b", "bun", "#3b2416", "#2f6f8f", "#f2c14e", "#e8eef2"),
    "mira": ("Mira", "#f1c7a1", "#c0392b", "bob", "#2e7d32", "#f1c40f", "#34495e", "#fdf3e1"),
    "theo": ("Theo", "#6b4226", "#2d2d2d", "short", "#4e342e", "#1f3a93", "#e67e22", "#e9f1fb"),
    "pip": ("Pip", "#ffd7b5", "#f39c12", "curly", "#1565c0", "#27ae60", "#8e44ad", "#f4fbef"),
}


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def portrait(cid: str, path: Path, *, wardrobe: str | None = None) -> None:
    """A character sheet card: head-and-shoulders portrait, colour swatches and the name."""
    name, skin, hair, style, eyes, cloth, accent, bg = CHARACTERS[cid]
    cloth = wardrobe or cloth
    w, h = 256, 320
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    d.rectangle([8, 8, w - 9, h - 9], outline="#9aa5b1", width=2)
    cx = w // 2
    # shoulders and neck
    d.rounded_rectangle([cx - 92, 210, cx + 92, 300], radius=38, fill=cloth)
    d.polygon([(cx - 22, 212), (cx + 22, 212), (cx, 246)], fill=accent)
    d.rectangle([cx - 16, 170, cx + 16, 214], fill=skin)
    # hair behind the head
    if style == "bob":
        d.rounded_rectangle([cx - 62, 58, cx + 62, 190], radius=40, fill=hair)
    elif style == "curly":
        for dx, dy in ((-50, 80), (50, 80), (-40, 55), (40, 55), (0, 45), (-58, 115), (58, 115)):
            d.ellipse([cx + dx - 26, dy - 26, cx + dx + 26, dy + 26], fill=hair)
    # head, ears
    d.ellipse([cx - 62, 118, cx - 42, 148], fill=skin)
    d.ellipse([cx + 42, 118, cx + 62, 148], fill=skin)
    d.ellipse([cx - 50, 62, cx + 50, 190], fill=skin, outline="#00000040")
    # hair on top
    if style == "bun":
        d.ellipse([cx - 24, 30, cx + 24, 74], fill=hair)
        d.chord([cx - 52, 58, cx + 52, 140], 180, 360, fill=hair)
    elif style == "bob":
        d.chord([cx - 54, 56, cx + 54, 150], 180, 360, fill=hair)
        d.rectangle([cx - 54, 100, cx - 40, 170], fill=hair)
        d.rectangle([cx + 40, 100, cx + 54, 170], fill=hair)
    elif style == "short":
        d.chord([cx - 52, 58, cx + 52, 124], 180, 360, fill=hair)
    else:
        d.chord([cx - 52, 52, cx + 52, 120], 180, 360, fill=hair)
    # eyes, brows, nose, mouth
    for ex in (cx - 20, cx + 20):
        d.ellipse([ex - 9, 118, ex + 9, 132], fill="white")
        d.ellipse([ex - 5, 120, ex + 5, 131], fill=eyes)
        d.ellipse([ex - 2, 122, ex + 1, 125], fill="white")
        d.line([ex - 11, 110, ex + 9, 107], fill=hair, width=4)
    d.line([cx, 132, cx - 5, 150, cx + 3, 152], fill="#00000060", width=2)
    d.arc([cx - 18, 150, cx + 18, 172], 20, 160, fill="#8e2b2b", width=3)
    # swatches and label
    for i, colour in enumerate((skin, hair, eyes, cloth, accent)):
        d.rectangle([20 + i * 22, 20, 38 + i * 22, 38], fill=colour, outline="#333333")
    d.rectangle([8, h - 44, w - 9, h - 9], fill="#222831")
    d.text((cx, h - 26), name.upper(), fill="white", font=_font(20), anchor="mm")
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
    """An environment plate: the place with its palette, fixed elements and light."""
    w, h = size
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    horizon = int(h * 0.62)
    if kind == "shore":
        _gradient(d, (0, 0, w, horizon), "#2c3e73", "#f3a65a")
        d.ellipse([w * 0.62, horizon - 46, w * 0.62 + 52, horizon + 6], fill="#ffe7a3")
        _gradient(d, (0, horizon, w, int(h * 0.8)), "#1f5f7a", "#2a7f8f")
        d.polygon([(0, int(h * 0.8)), (w, int(h * 0.74)), (w, h), (0, h)], fill="#e6c98f")
        d.rectangle([int(w * 0.15), int(h * 0.55), int(w * 0.17), int(h * 0.86)], fill="#5b3a29")
        d.polygon([(int(w * 0.12), int(h * 0.56)), (int(w * 0.20), int(h * 0.56)),
                   (int(w * 0.16), int(h * 0.48))], fill="#c0392b")
    elif kind == "space":
        d.rectangle([0, 0, w, h], fill="#0b1026")
        for i in range(60):
            x, y = (i * 97) % w, (i * 53) % h
            d.point((x, y), fill="#ffffff")
        d.ellipse([int(w * 0.18), int(h * 0.25), int(w * 0.18) + int(h * 0.5), int(h * 0.75)],
                  fill="#2e86de", outline="#9fd3ff", width=3)
        d.ellipse([int(w * 0.24), int(h * 0.34), int(w * 0.24) + int(h * 0.16), int(h * 0.48)],
                  fill="#27ae60")
        d.ellipse([int(w * 0.72), int(h * 0.4), int(w * 0.72) + int(h * 0.16), int(h * 0.56)],
                  fill="#d5d8dc", outline="#aab7b8", width=2)
    elif kind == "bus-stop":
        _gradient(d, (0, 0, w, h), "#3d4f63", "#6b7d8f")
        d.rectangle([0, int(h * 0.78), w, h], fill="#2b2f33")
        d.rectangle([int(w * 0.1), int(h * 0.35), int(w * 0.9), int(h * 0.38)], fill="#95a5a6")
        for x in (0.12, 0.88):
            d.rectangle([int(w * x) - 3, int(h * 0.36), int(w * x) + 3, int(h * 0.78)], fill="#7f8c8d")
        d.rectangle([int(w * 0.2), int(h * 0.62), int(w * 0.8), int(h * 0.66)], fill="#8e5b3a")
        d.rectangle([int(w * 0.62), int(h * 0.42), int(w * 0.84), int(h * 0.56)], fill="#f1c40f")
        d.text((int(w * 0.73), int(h * 0.49)), "42", fill="#222", font=_font(16), anchor="mm")
        for i in range(90):
            x, y = (i * 37) % w, (i * 71) % h
            d.line([x, y, x - 3, y + 12], fill="#b7c9d9", width=1)
    elif kind == "cafe":
        _gradient(d, (0, 0, w, h), "#6d4c41", "#a1887f")
        d.rectangle([0, int(h * 0.72), w, h], fill="#4e342e")
        d.rectangle([int(w * 0.08), int(h * 0.12), int(w * 0.92), int(h * 0.42)], fill="#ffe0b2",
                    outline="#3e2723", width=4)
        d.line([w // 2, int(h * 0.12), w // 2, int(h * 0.42)], fill="#3e2723", width=4)
        for x in (0.25, 0.5, 0.75):
            d.line([int(w * x), 0, int(w * x), int(h * 0.08)], fill="#212121", width=2)
            d.ellipse([int(w * x) - 10, int(h * 0.08), int(w * x) + 10, int(h * 0.08) + 14],
                      fill="#ffca28")
        d.rectangle([int(w * 0.15), int(h * 0.6), int(w * 0.85), int(h * 0.64)], fill="#8d6e63")
        d.ellipse([int(w * 0.45), int(h * 0.55), int(w * 0.55), int(h * 0.6)], fill="#fafafa")
    elif kind == "studio":
        _gradient(d, (0, 0, w, h), "#f5f7fa", "#c3cfe2")
        d.rectangle([0, int(h * 0.75), w, h], fill="#8395a7")
        d.rounded_rectangle([int(w * 0.55), int(h * 0.2), int(w * 0.9), int(h * 0.6)], radius=8,
                            fill="#ffffff", outline="#576574", width=3)
        d.line([int(w * 0.6), int(h * 0.5), int(w * 0.7), int(h * 0.38), int(w * 0.78),
                int(h * 0.44), int(w * 0.86), int(h * 0.28)], fill="#ee5253", width=3)
        d.rectangle([int(w * 0.1), int(h * 0.6), int(w * 0.4), int(h * 0.64)], fill="#576574")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


def main() -> None:
    tides = HERE / "tides-explainer" / "refs"
    portrait("ada", tides / "ada.png")
    plate("shore", tides / "shore.png", (320, 180))
    plate("space", tides / "space.png", (320, 180))

    umbrella = HERE / "umbrella-dialogue" / "refs"
    portrait("mira", umbrella / "mira.png")
    portrait("theo", umbrella / "theo.png")
    plate("bus-stop", umbrella / "bus-stop.png", (180, 320))
    plate("cafe", umbrella / "cafe.png", (180, 320))

    refs = TEMPLATE / "refs"
    portrait("pip", refs / "pip.png")
    plate("studio", refs / "studio.png", (320, 180))
    print("wrote reference images under", HERE.name, "and the init template")


if __name__ == "__main__":
    main()
