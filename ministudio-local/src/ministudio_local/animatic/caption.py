"""The board's graphics: slate bar, frame guides, action caption, dialogue subtitles, title.

Each overlay is pre-rendered once as a small RGBA piece with a position and a time window;
per frame the renderer only pastes the visible pieces and draws the running timecode.
"""

from __future__ import annotations

import functools
import math
import textwrap
import unicodedata

import attrs
from PIL import Image, ImageDraw, ImageFont

from ministudio_local.animatic.plan import ShotPlan

__all__ = ["Piece", "band_lines", "build_overlays", "dialogue_rows", "draw_timecode", "fit_lines",
           "font", "timecode_box"]

AMBER = (255, 214, 102, 255)
WHITE = (245, 245, 240, 255)


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font (no system fonts needed)."""
    return ImageFont.load_default(size=max(8, int(size)))


@attrs.frozen(kw_only=True)
class Piece:
    image: Image.Image = attrs.field(eq=False)
    x: int
    y: int
    start_s: float = 0.0
    end_s: float = math.inf
    fade_s: float = 0.0

    def alpha_at(self, t: float) -> float:
        if not self.start_s <= t < self.end_s:
            return 0.0
        if not self.fade_s:
            return 1.0
        fade_in = (t - self.start_s) / self.fade_s if self.start_s > 0 else 1.0
        return max(0.0, min(1.0, fade_in, (self.end_s - t) / self.fade_s))


_SPELLED = {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
            "—": "-", "–": "-", "€": "EUR", "£": "GBP", "‘": "'", "’": "'"}


@functools.lru_cache(maxsize=4096)
def _has_glyph(ch: str) -> bool:
    f = font(22)
    missing = f.getmask("\uffff")
    mask = f.getmask(ch)
    return ch.isascii() or mask.size != missing.size or bytes(mask) != bytes(missing)


def displayable(text: str) -> str:
    """``text`` with every character the bundled font cannot draw replaced by its closest
    drawable spelling (é -> e, ß -> ss, — -> -), else "?", so no frame shows tofu boxes."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if _has_glyph(ch):
            out.append(ch)
            continue
        alt = _SPELLED.get(ch) or "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(alt if alt and all(_has_glyph(c) for c in alt) else "?")
    return "".join(out)


def _wrap(text: str, f: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_w: float, lines: int) -> list[str]:
    text = displayable(text)
    avg = max(1.0, f.getlength("abcdefghijklmnopqrstuvwxyz") / 26)
    width = max(10, int(max_w / avg))
    out = textwrap.wrap(text, width=width)
    while out and any(f.getlength(line) > max_w for line in out) and width > 10:
        width -= 2
        out = textwrap.wrap(text, width=width)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip(" .,;") + "…"
    return out


def fit_lines(text: str, size: int, max_w: float, lines: int,
              smallest: float = 0.72) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, list[str]]:
    """The font and wrapped lines for ``text``: the whole text in at most ``lines`` lines,
    shrinking the font down to ``smallest`` of ``size`` before anything is cut with "…"."""
    for k in range(0, 8):
        f = font(max(10, int(size * (1 - (1 - smallest) * k / 7))))
        out = _wrap(text, f, max_w, lines + 1)
        if len(out) <= lines:
            return f, out
    return f, _wrap(text, f, max_w, lines)


def _text_size(plan: ShotPlan, k: float) -> int:
    """A text size from the frame's short side, so portrait frames get the same size of
    lettering as landscape ones (not one scaled to their tall height)."""
    return max(12, int(min(plan.width, plan.height) * k))


def _move_glyph(d: ImageDraw.ImageDraw, name: str, x: int, y: int, s: int) -> None:
    """A small vector icon of the camera move, as drawn in storyboard margins."""
    c = AMBER
    w = max(2, s // 8)
    cx, cy = x + s // 2, y + s // 2
    if name in ("push-in", "pull-out"):
        d.rectangle([x, y, x + s, y + s], outline=c, width=w)
        k = s // 4 if name == "push-in" else -s // 8
        d.rectangle([x + s // 4 + k // 2, y + s // 4 + k // 2, x + 3 * s // 4 - k // 2,
                     y + 3 * s // 4 - k // 2], outline=c, width=w)
    elif name.startswith(("pan", "truck")):
        d.line([x, cy, x + s, cy], fill=c, width=w)
        tip = x + s if name.endswith("right") else x
        sgn = -1 if name.endswith("right") else 1
        d.polygon([(tip, cy), (tip + sgn * s // 3, cy - s // 4), (tip + sgn * s // 3, cy + s // 4)], fill=c)
    elif name.startswith(("tilt", "crane")):
        d.line([cx, y, cx, y + s], fill=c, width=w)
        tip = y if name.endswith("up") else y + s
        sgn = 1 if name.endswith("up") else -1
        d.polygon([(cx, tip), (cx - s // 4, tip + sgn * s // 3), (cx + s // 4, tip + sgn * s // 3)], fill=c)
    elif name.startswith("orbit"):
        d.arc([x, y + s // 4, x + s, y + s], start=200, end=340, fill=c, width=w)
        tip = (x + s - s // 10, cy) if name.endswith("right") else (x + s // 10, cy)
        d.ellipse([tip[0] - w * 2, tip[1] - w * 2, tip[0] + w * 2, tip[1] + w * 2], fill=c)
    elif name == "handheld":
        pts = [(x + i * s / 6, cy + (s // 5) * (1 if i % 2 else -1)) for i in range(7)]
        d.line(pts, fill=c, width=w)
    else:  # static: a locked-off tripod square
        d.rectangle([x + s // 6, y + s // 6, x + 5 * s // 6, y + 5 * s // 6], outline=c, width=w)


def _bar(plan: ShotPlan) -> tuple[int, int, bool]:
    """(bar height, row height, two rows?): narrow (portrait) frames get a two-row slate,
    with a third row for the location when it has one."""
    row = max(22, int(min(plan.height, plan.width) * 0.062))
    two = plan.width < plan.height * 1.2
    rows = (3 if plan.environment else 2) if two else 1
    return rows * row, row, two


def fit_text(text: str, f: ImageFont.FreeTypeFont | ImageFont.ImageFont, room: float) -> str:
    """``text`` made drawable and shortened with an ellipsis to fit ``room`` pixels."""
    text = displayable(text)
    if f.getlength(text) <= room:
        return text
    while text and f.getlength(text + "…") > room:
        text = text[:-1]
    return text.rstrip() + "…" if text else ""


def _slate(plan: ShotPlan, move_name: str) -> Piece:
    W = plan.width
    bar_h, row, two = _bar(plan)
    im = Image.new("RGBA", (W, bar_h), (12, 12, 16, 170))
    d = ImageDraw.Draw(im)
    f = font(int(row * 0.5))
    x = int(row * 0.4)
    label = f"SHOT {plan.shot_label.upper()}" if plan.shot_label else "SHOT"
    label = fit_text(label, f, W - x - timecode_width(plan) - row * (0.8 if not two else 0.4))
    d.text((x, row // 2), label, font=f, fill=AMBER, anchor="lm")
    if two:
        x, y_mid = int(row * 0.4), row + row // 2
    else:
        x, y_mid = x + int(f.getlength(label)) + row // 2, row // 2
    icon = int(row * 0.5)
    _move_glyph(d, move_name, x, y_mid - icon // 2, icon)
    x += icon + row // 3
    parts = [plan.shot_type.replace("-", " ").upper(), move_name.replace("-", " ").upper()]
    if plan.lens:
        parts.append(plan.lens)
    if plan.environment and not two:
        parts.append(plan.environment)
    room = W - x - row * 0.4 - (0 if two else timecode_width(plan) + row // 2)
    d.text((x, y_mid), fit_text("  ·  ".join(parts), f, room), font=f, fill=WHITE, anchor="lm")
    if two and plan.environment:  # the location on its own row, at a size that fits
        x0 = int(row * 0.4)
        fe, rows = fit_lines(plan.environment, int(row * 0.5), W - 2 * x0, 1, smallest=0.7)
        d.text((x0, 2 * row + row // 2), rows[0], font=fe, fill=(215, 215, 225, 255),
               anchor="lm")
    d.line([0, bar_h - 1, W, bar_h - 1], fill=(255, 214, 102, 140), width=1)
    return Piece(image=im, x=0, y=0)


def timecode_width(plan: ShotPlan) -> int:
    _, row, _ = _bar(plan)
    return int(font(int(row * 0.5)).getlength("00:00.00 / 00:00.00"))


def timecode_box(plan: ShotPlan) -> tuple[int, int, int]:
    """(right x, centre y, font size) of the running timecode in the slate's first row."""
    _, row, _ = _bar(plan)
    return plan.width - int(row * 0.4), row // 2, int(row * 0.5)


def draw_timecode(draw: ImageDraw.ImageDraw, plan: ShotPlan, frame: int) -> None:
    def tc(n: int) -> str:
        s, f = divmod(n, plan.fps)
        return f"{s // 60:02d}:{s % 60:02d}.{f:02d}"

    x, y, size = timecode_box(plan)
    draw.text((x, y), f"{tc(frame)} / {tc(plan.frames)}", font=font(size), fill=WHITE, anchor="rm")


def _corners(plan: ShotPlan) -> list[Piece]:
    """Action-safe frame guides (90 %), four corner marks."""
    W, H = plan.width, plan.height
    L = max(8, int(min(W, H) * 0.05))
    lw = max(1, H // 360)
    x0, y0, x1, y1 = int(W * 0.05), int(H * 0.05), int(W * 0.95), int(H * 0.95)
    out = []
    for cx, cy, sx, sy in ((x0, y0, 1, 1), (x1, y0, -1, 1), (x0, y1, 1, -1), (x1, y1, -1, -1)):
        im = Image.new("RGBA", (L + lw, L + lw), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        ox = 0 if sx > 0 else L
        oy = 0 if sy > 0 else L
        d.line([ox, oy, ox + sx * L, oy], fill=(255, 255, 255, 150), width=lw)
        d.line([ox, oy, ox, oy + sy * L], fill=(255, 255, 255, 150), width=lw)
        out.append(Piece(image=im, x=cx - ox, y=cy - oy))
    return out


def band_lines(plan: ShotPlan) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont,
                                         list[tuple[str, tuple[int, int, int, int]]]]:
    """The caption band's font and (line, colour) rows: the action, then the narration, whole
    (portrait frames get more rows, and the type shrinks before anything is cut)."""
    W = plan.width
    size = _text_size(plan, 0.034)
    room = W - 2 * int(W * 0.05)
    portrait = W < plan.height
    parts = []
    if plan.action:
        parts.append((plan.action, WHITE, 4 if portrait else 2))
    if plan.narration:
        parts.append(("V.O. - " + plan.narration, (190, 220, 255, 255), 6 if portrait else 3))
    fitted = [(fit_lines(text, size, room, n), colour) for text, colour, n in parts]
    f = font(min([size] + [fr[0].size for fr, _ in fitted]))
    # one size for the whole band: rows fitted at a larger size fit at the smaller one
    return f, [(row, colour) for (_, rows), colour in fitted for row in rows]


def dialogue_rows(plan: ShotPlan, text: str) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont,
                                                       list[str]]:
    """A subtitle's font and rows (three rows on portrait frames, two on landscape)."""
    W, H = plan.width, plan.height
    return fit_lines(text, _text_size(plan, 0.040), W * (0.9 if W < H else 0.8),
                     3 if W < H else 2)


def _band(plan: ShotPlan) -> Piece | None:
    """The action line (and narration) in a band at the bottom of the frame."""
    W, H = plan.width, plan.height
    margin = int(W * 0.05)
    f, lines = band_lines(plan)
    if not lines:
        return None
    fs = f.size
    lh = int(fs * 1.3)
    pad = int(fs * 0.6)
    bh = lh * len(lines) + 2 * pad
    im = Image.new("RGBA", (W, bh), (10, 10, 14, 165))
    d = ImageDraw.Draw(im)
    d.line([0, 0, W, 0], fill=(255, 214, 102, 110), width=1)
    for i, (text, colour) in enumerate(lines):
        d.text((margin, pad + i * lh + lh // 2), text, font=f, fill=colour, anchor="lm")
    return Piece(image=im, x=0, y=H - bh)


def _dialogue(plan: ShotPlan, band_h: int) -> list[Piece]:
    """Each dialogue line as a subtitle, given an equal share of the shot."""
    if not plan.dialogue:
        return []
    W, H = plan.width, plan.height
    dur = plan.frames / plan.fps
    share = dur / len(plan.dialogue)
    out = []
    for i, (speaker, line) in enumerate(plan.dialogue):
        text = f"{speaker.upper()}: “{line}”" if speaker else f"“{line}”"
        f, rows = dialogue_rows(plan, text)
        fs = f.size
        lh = int(fs * 1.25)
        tw = int(max(f.getlength(r) for r in rows)) + fs
        im = Image.new("RGBA", (tw, lh * len(rows) + fs // 2), (0, 0, 0, 0))
        d = ImageDraw.Draw(im)
        for j, row in enumerate(rows):
            d.text((tw // 2, fs // 4 + j * lh + lh // 2), row, font=f, fill=(255, 236, 150, 255),
                   anchor="mm", stroke_width=max(2, fs // 10), stroke_fill=(0, 0, 0, 230))
        y = H - band_h - im.size[1] - int(H * 0.025)
        out.append(Piece(image=im, x=(W - tw) // 2, y=y, start_s=i * share,
                         end_s=(i + 1) * share if i < len(plan.dialogue) - 1 else math.inf,
                         fade_s=min(0.15, share / 4)))
    return out


def _title(plan: ShotPlan) -> Piece | None:
    """The film's title card, on the opening clip only."""
    if not plan.title or not plan.opening:
        return None
    W, H = plan.width, plan.height
    f, rows = fit_lines(plan.title.upper(), _text_size(plan, 0.075 if not plan.characters else 0.06),
                        W * 0.8, 2)
    fs = f.size
    lh = int(fs * 1.2)
    tw = int(max(f.getlength(r) for r in rows)) + 2 * fs
    th = lh * len(rows) + fs
    im = Image.new("RGBA", (tw, th), (10, 10, 14, 190))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, tw - 1, th - 1], outline=AMBER, width=max(2, fs // 16))
    for j, row in enumerate(rows):
        d.text((tw // 2, fs // 2 + j * lh + lh // 2), row, font=f, fill=WHITE, anchor="mm")
    dur = plan.frames / plan.fps
    # centred on an empty set; with characters, just under the slate, clear of their faces
    y = int(H * 0.30) - th // 2 if not plan.characters else _bar(plan)[0] + int(H * 0.03)
    return Piece(image=im, x=(W - tw) // 2, y=y, start_s=0.0,
                 end_s=min(2.0, 0.5 * dur), fade_s=min(0.3, 0.1 * dur))


def _cast_label(plan: ShotPlan) -> Piece | None:
    """In close-ups the cards carry no name tag (it would sit under the subtitles): the names,
    with what the shot says they wear, go in a label under the slate instead."""
    if plan.labels_on_cards or not plan.characters:
        return None
    W, H = plan.width, plan.height
    size = _text_size(plan, 0.028)
    pad = size // 2
    rows: list[tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont, tuple[int, ...]]] = []
    for ch in plan.characters[:3]:
        name = displayable((ch.name or ch.id).upper())
        f, lines = fit_lines(f"{name}  ·  {ch.note}" if ch.note else name, size, W * 0.6, 1, 0.7)
        rows.append((lines[0], f, (255, 240, 200, 255)))
    lh = int(size * 1.35)
    tw = int(max(f.getlength(t) for t, f, _ in rows)) + 2 * pad
    im = Image.new("RGBA", (tw, lh * len(rows) + pad), (20, 20, 24, 200))
    d = ImageDraw.Draw(im)
    d.rectangle([0, 0, tw - 1, im.size[1] - 1], outline=(255, 214, 102, 200), width=1)
    for i, (text, f, colour) in enumerate(rows):
        d.text((pad, pad // 2 + i * lh + lh // 2), text, font=f, fill=colour, anchor="lm")
    return Piece(image=im, x=int(W * 0.05), y=_bar(plan)[0] + int(H * 0.02))


def build_overlays(plan: ShotPlan, move_name: str) -> list[Piece]:
    pieces: list[Piece] = [*_corners(plan), _slate(plan, move_name)]
    label = _cast_label(plan)
    if label is not None:
        pieces.append(label)
    band = _band(plan)
    if band is not None:
        pieces.append(band)
    pieces += _dialogue(plan, band.image.size[1] if band is not None else 0)
    title = _title(plan)
    if title is not None:
        pieces.append(title)
    return pieces
