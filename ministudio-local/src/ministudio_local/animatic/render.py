"""Render one animatic shot: plan, build layers once, then per frame move the camera over them.

A cut is a cut: the clip never blends in another picture (a ``first_frame`` from the previous
clip carries that clip's slate and captions). Transitions are the editor's job; inside the
frames of a dissolve or fade (``direction.transition_in`` / ``transition_out``) the graphics
are faded out, so the assembler's dissolve blends the two pictures, not two sets of captions.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from ministudio.requests import ClipRequest
from PIL import Image, ImageDraw

from ministudio_local.animatic.camera import CameraMove, LayerView, camera_move
from ministudio_local.animatic.caption import build_overlays, draw_timecode
from ministudio_local.animatic.compose import (
    Card,
    build_backdrop,
    build_cards,
    fit_overscan,
)
from ministudio_local.animatic.encode import VideoWriter, to_video_frame
from ministudio_local.animatic.plan import ShotPlan, plan_shot

__all__ = ["RenderStats", "render_animatic", "Board"]

_BILINEAR = Image.Resampling.BILINEAR


@attrs.frozen(kw_only=True)
class RenderStats:
    plan: ShotPlan
    move: str
    frames: int
    width: int
    height: int
    fps: int
    #: frames at the start / end drawn without graphics (the transition windows)
    clean_in_frames: int = 0
    clean_out_frames: int = 0


class Board:
    """The layers of one shot and how to draw any frame of it."""

    def __init__(self, plan: ShotPlan, move: CameraMove, *, tags: bool = True) -> None:
        self.plan = plan
        self.move = move
        W, H = plan.width, plan.height
        us = np.linspace(0, 1, 33)
        views = [move.at(float(u)) for u in us]
        zf = [v[0].zoom for v in views]
        zn = [v[1].zoom for v in views]
        self.cw, self.ch, self.q = fit_overscan(W, H, move.max_offset, min(zf), max(zf))
        rng = np.random.default_rng(plan.seed)
        self.backdrop = build_backdrop(plan, (self.cw, self.ch), rng)
        self.cards: list[Card] = build_cards(plan, max(zn), tags=tags)
        if move.dx == move.dy == (0.0, 0.0) and not move.shake:
            # zoom-only or locked-off: bake the cards into the plate, one resample per frame
            self._bake_cards()
        self._fixed_zoom: Image.Image | None = None
        if move.zoom[0] == move.zoom[1] and (move.dx != (0.0, 0.0) or move.dy != (0.0, 0.0) or move.shake):
            z = move.zoom[0] / self.q
            self._fixed_zoom = self.backdrop.resize(
                (round(self.cw * z), round(self.ch * z)), Image.Resampling.LANCZOS
            )
        pieces = build_overlays(plan, move.name)
        self.static_pieces = [p for p in pieces if p.start_s == 0 and p.end_s == float("inf")]
        self.timed_pieces = [p for p in pieces if p not in self.static_pieces]
        # frames inside the dissolve/fade windows (as the assembler counts them) and a short
        # ramp after/before them, where the graphics fade in/out
        half = plan.frames // 2
        self.clean_in = min(int(round(plan.transition_in_s * plan.fps)), half)
        self.clean_out = min(int(round(plan.transition_out_s * plan.fps)), half)
        self.ramp = max(1, int(round(0.25 * plan.fps)))
        # the picture a transition blends has no name tags either (same plate, same seed)
        self._bare: Board | None = None
        if tags and (self.clean_in or self.clean_out) and plan.characters:
            self._bare = Board(plan, move, tags=False)
        # zooms move the camera "on twos" (12 camera positions a second at 24 fps), as
        # hand-made animatics do: half the resampling and a much cheaper encode
        self.on_twos = move.zoom[0] != move.zoom[1]
        self._sprite_cache: dict[tuple[int, int, int], Image.Image] = {}
        self._last_key: Any = None
        self._last_layers: Image.Image | None = None
        self._pic_key: Any = None
        self._pic: Image.Image | None = None

    def _bake_cards(self) -> None:
        W, H, q = self.plan.width, self.plan.height, self.q
        plate = self.backdrop
        for card in self.cards:
            sw0, sh0 = card.sprite.size
            h = card.height * q
            w = h * sw0 / sh0
            sprite = card.sprite.resize((max(1, round(w)), max(1, round(h))), _BILINEAR)
            x = self.cw / 2 + (card.cx - W / 2) * q - sprite.size[0] / 2
            y = self.ch / 2 + (card.cy - H / 2) * q - sprite.size[1] / 2
            plate.paste(sprite, (int(round(x)), int(round(y))), sprite)
        self.cards = []

    # -- layers --------------------------------------------------------------------------

    def _far(self, v: LayerView) -> Image.Image:
        W, H, q = self.plan.width, self.plan.height, self.q
        if self._fixed_zoom is not None:
            # constant zoom (pans, tilts, trucks, orbits): the plate is pre-scaled, so a
            # frame is a crop at whole-pixel positions
            plate = self._fixed_zoom
            x = int(round(plate.size[0] / 2 + v.dx * W * v.zoom - W / 2))
            y = int(round(plate.size[1] / 2 + v.dy * H * v.zoom - H / 2))
            return plate.crop((x, y, x + W, y + H))
        bw, bh = W * q / v.zoom, H * q / v.zoom
        cx = self.cw / 2 + v.dx * W * q
        cy = self.ch / 2 + v.dy * H * q
        box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
        return self.backdrop.resize((W, H), _BILINEAR, box=box)

    def _paste_cards(self, frame: Image.Image, v: LayerView) -> None:
        W, H = self.plan.width, self.plan.height
        for i, card in enumerate(self.cards):
            sw0, sh0 = card.sprite.size
            h = card.height * v.zoom
            w = h * sw0 / sh0
            key = (i, int(round(w)), int(round(h)))
            sprite = self._sprite_cache.get(key)
            if sprite is None:
                sprite = card.sprite.resize((max(1, key[1]), max(1, key[2])), _BILINEAR)
                if len(self._sprite_cache) > 64:
                    self._sprite_cache.clear()
                self._sprite_cache[key] = sprite
            x = W / 2 + (card.cx - W / 2 - v.dx * W) * v.zoom - sprite.size[0] / 2
            y = H / 2 + (card.cy - H / 2 - v.dy * H) * v.zoom - sprite.size[1] / 2
            frame.paste(sprite, (int(round(x)), int(round(y))), sprite)

    def picture(self, u: float) -> Image.Image:
        """Backdrop and cards, no graphics (no slate, captions, timecode or name tags), for
        normalised time ``u``: what the frames inside a transition show."""
        return self._bare.scene(u) if self._bare is not None else self.scene(u)

    def scene(self, u: float) -> Image.Image:
        """Backdrop and cards (with their name tags) for normalised time ``u`` (cached while
        the camera holds still)."""
        far, near = self.move.at(u)
        key = (round(far.zoom, 5), round(far.dx, 5), round(far.dy, 5))
        if key != self._pic_key or self._pic is None:
            frame = self._far(far)
            self._paste_cards(frame, near)
            self._pic_key, self._pic = key, frame
        return self._pic

    def layers(self, u: float) -> Image.Image:
        """The picture with the static graphics for normalised time ``u`` (cached while the
        camera holds still)."""
        pic = self.scene(u)
        if self._pic_key != self._last_key or self._last_layers is None:
            frame = pic.copy()
            for p in self.static_pieces:
                frame.paste(p.image, (p.x, p.y), p.image)
            self._last_key, self._last_layers = self._pic_key, frame
        return self._last_layers

    def graphics_alpha(self, index: int) -> float:
        """How visible slate, captions and timecode are on frame ``index``: 0 inside the
        transition windows, ramping to 1 outside them."""
        g = 1.0
        if self.clean_in:
            g = min(g, (index - self.clean_in + 1) / self.ramp)
        if self.clean_out:
            g = min(g, (self.plan.frames - self.clean_out - index) / self.ramp)
        return max(0.0, min(1.0, g))

    def camera_u(self, index: int) -> float:
        """The camera's normalised time on frame ``index`` (zooms move on twos)."""
        plan = self.plan
        cam = index - index % 2 if self.on_twos and index < plan.frames - 1 else index
        return cam / (plan.frames - 1) if plan.frames > 1 else 0.0

    def frame(self, index: int) -> Image.Image:
        plan = self.plan
        u = self.camera_u(index)
        t = index / plan.fps
        g = self.graphics_alpha(index)
        if g <= 0.0:
            return self.picture(u).copy()
        frame = self.layers(u).copy()
        for p in self.timed_pieces:
            alpha = p.alpha_at(t)
            if alpha <= 0:
                continue
            img = p.image
            if alpha < 1:
                img = img.copy()
                img.putalpha(img.getchannel("A").point(lambda v, a=alpha: int(v * a)))
            frame.paste(img, (p.x, p.y), img)
        draw_timecode(ImageDraw.Draw(frame), plan, index)
        if g < 1.0:
            frame = Image.blend(self.picture(u), frame, g)
        return frame


def render_animatic(
    request: ClipRequest, out_path: Path, *, preset: str = "veryfast", crf: int = 20,
    log: Any = None,
) -> RenderStats:
    """Render ``request`` as an animatic MP4 at ``out_path``."""
    plan = plan_shot(request)
    move = camera_move(plan.movement, seed=plan.seed)
    board = Board(plan, move)
    if log is not None:
        log.info("animatic.render", frames=plan.frames, size=f"{plan.width}x{plan.height}",
                 shot_type=plan.shot_type, move=move.name, characters=len(plan.characters),
                 backdrop="image" if plan.backdrop else "painted")
    clean = (board.clean_in, board.clean_out)
    try:
        _encode(board, out_path, preset=preset, crf=crf)
    finally:
        del board  # the layers and caches go before the heap is handed back
        _give_back()
    return RenderStats(plan=plan, move=move.name, frames=plan.frames, width=plan.width,
                       height=plan.height, fps=plan.fps, clean_in_frames=clean[0],
                       clean_out_frames=clean[1])


def _give_back() -> None:
    """Hand the heap the encoder and the layers freed back to the OS now
    (:func:`ministudio.engine.heap.trim`), not only after the shot is scored."""
    try:
        from ministudio.engine import heap
    except ImportError:  # pragma: no cover - an older core
        return
    heap.trim()


def _encode(board: Board, out_path: Path, *, preset: str, crf: int) -> None:
    """Draw frames on a worker thread while the encoder runs on this one (Pillow and x264
    both release the GIL, so the two cores overlap)."""
    plan = board.plan
    frames: queue.Queue[Any] = queue.Queue(maxsize=6)
    stop = threading.Event()

    def produce() -> None:
        try:
            for i in range(plan.frames):
                if stop.is_set():
                    return
                frames.put(to_video_frame(board.frame(i)))
            frames.put(None)
        except BaseException as exc:  # handed to the consumer, re-raised there
            frames.put(exc)

    worker = threading.Thread(target=produce, name="animatic-draw", daemon=True)
    worker.start()
    try:
        with VideoWriter(out_path, plan.width, plan.height, plan.fps, preset=preset, crf=crf) as w:
            while (item := frames.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                w.write(item)
    finally:
        stop.set()
        while worker.is_alive():
            try:
                frames.get_nowait()
            except queue.Empty:
                worker.join(0.05)
