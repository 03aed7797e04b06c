"""Camera moves as 2.5D approximations: a path of (zoom, offset) per layer over the shot.

The board has two depth layers: the backdrop (far) and the character cards (near). A move
is a function of eased time ``u`` in [0, 1] returning, for each layer, a zoom factor and an
offset in fractions of the frame size. Parallax (the near layer moving more than the far
one, or against it for an orbit) is what makes a pan read as a pan and an orbit as an orbit.
"""

from __future__ import annotations

import math
import re

import attrs
import numpy as np

__all__ = ["CameraMove", "LayerView", "camera_move", "MOVES"]


@attrs.frozen
class LayerView:
    zoom: float
    dx: float  #: offset of the camera centre, fraction of frame width (+ = camera moves right)
    dy: float  #: fraction of frame height (+ = camera moves down)


def _ease(u: float) -> float:
    """Smoothstep: starts and lands softly, like an operator's move."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


@attrs.frozen(kw_only=True)
class CameraMove:
    name: str
    #: (zoom_start, zoom_end), (dx_start, dx_end), (dy_start, dy_end) for the far layer
    zoom: tuple[float, float] = (1.0, 1.0)
    dx: tuple[float, float] = (0.0, 0.0)
    dy: tuple[float, float] = (0.0, 0.0)
    #: how much the near layer moves relative to the far one (orbit: negative)
    near_factor: float = 1.6
    shake: float = 0.0
    seed: int = 0

    def at(self, u: float) -> tuple[LayerView, LayerView]:
        """Views of the (far, near) layers at normalised time ``u``."""
        e = _ease(u)
        z = self.zoom[0] + (self.zoom[1] - self.zoom[0]) * e
        dx = self.dx[0] + (self.dx[1] - self.dx[0]) * e
        dy = self.dy[0] + (self.dy[1] - self.dy[0]) * e
        if self.shake:
            # smooth pseudo-random drift: a few incommensurate sines with seeded phases
            rng = np.random.default_rng(self.seed)
            ph = rng.uniform(0, 2 * math.pi, 4)
            t = u * 6.0
            dx += self.shake * (math.sin(2.1 * t + ph[0]) + 0.5 * math.sin(5.3 * t + ph[1]))
            dy += self.shake * (math.sin(1.7 * t + ph[2]) + 0.5 * math.sin(4.1 * t + ph[3]))
        far = LayerView(zoom=z, dx=dx, dy=dy)
        k = self.near_factor
        near = LayerView(zoom=1.0 + (z - 1.0) * abs(k), dx=dx * k, dy=dy * k)
        return far, near

    @property
    def max_offset(self) -> float:
        """Largest |offset| of the far layer (to size the backdrop's overscan)."""
        return max(map(abs, (*self.dx, *self.dy))) + 2.0 * self.shake


#: movement name -> (aliases regex, factory)
MOVES = (
    "static", "push-in", "pull-out", "pan-left", "pan-right", "tilt-up", "tilt-down",
    "truck-left", "truck-right", "orbit-left", "orbit-right", "crane-up", "crane-down",
    "handheld",
)


#: words that mean "the camera travels sideways" (a truck), e.g. a drone's slow drift or a
#: tracking shot alongside a walking subject
_SIDEWAYS = (r"truck|crab|slide|glide|drift|float|alongside|follow|tracking|track(?!\w*[- ]?(in|out)\b)"
             r"|dolly(?![- ]?(in|out)\b)|sideways|lateral|travel")


def camera_move(movement: str, *, seed: int = 0, strength: float = 1.0) -> CameraMove:
    """Interpret a free-text camera movement (``"slow push in"``, ``"pan left"``, ``"orbit"``,
    ``"dolly out"``, ``"handheld"``, ``"slow aerial drift"``, ``"fast tracking alongside the
    subject"``...) as a :class:`CameraMove`. Text naming no move is ``static``."""
    m = movement.lower().replace("_", " ")
    s = strength * (0.6 if re.search(r"\b(slow|subtle|gentle|slight|soft|lazy)", m) else 1.0)
    s *= 1.4 if re.search(r"\b(fast|quick|rapid|whip|swift|brisk)", m) else 1.0
    shake = 0.004 * strength if re.search(r"hand-?held|shak|sway|wobbl|jitter", m) else 0.0
    left = bool(re.search(r"\bleft|counter", m))
    down = bool(re.search(r"\bdown|descen|lower", m))
    if re.search(r"\b(push|dolly[- ]?in|zoom[- ]?in|track[- ]?in|move[- ]?in|creep[- ]?in)\b"
                 r"|push[- ]?in|close[- ]?in|tracking[- ]in\b", m):
        return CameraMove(name="push-in", zoom=(1.0, 1.0 + 0.28 * s), near_factor=1.0,
                          shake=shake, seed=seed)
    if re.search(r"\b(pull|dolly[- ]?out|zoom[- ]?out|track[- ]?out|move[- ]?out|back[- ]?out)\b"
                 r"|pull[- ]?(out|back)|reveal|widen|tracking[- ](out|back)\b", m):
        return CameraMove(name="pull-out", zoom=(1.0 + 0.28 * s, 1.0), near_factor=1.0,
                          shake=shake, seed=seed)
    if re.search(r"orbit|\barc|circl|around|360", m):
        d = -1.0 if left else 1.0
        return CameraMove(name="orbit-left" if left else "orbit-right", zoom=(1.08, 1.08),
                          dx=(-0.09 * s * d, 0.09 * s * d), near_factor=-0.9, shake=shake,
                          seed=seed)
    if re.search(r"crane|boom|jib|pedestal|\brise|rising|ascen|descen", m):
        return CameraMove(name="crane-down" if down else "crane-up", zoom=(1.03, 1.03),
                          dy=(-0.08 * s, 0.08 * s) if down else (0.08 * s, -0.08 * s),
                          near_factor=2.0, shake=shake, seed=seed)
    if re.search(r"tilt", m):
        return CameraMove(name="tilt-down" if down else "tilt-up", zoom=(1.02, 1.02),
                          dy=(-0.09 * s, 0.09 * s) if down else (0.09 * s, -0.09 * s),
                          near_factor=1.0, shake=shake, seed=seed)
    if re.search(_SIDEWAYS, m) or re.search(r"aerial|drone|fly|flying|sweep", m):
        d = -1.0 if left else 1.0
        return CameraMove(name="truck-left" if left else "truck-right", zoom=(1.02, 1.02),
                          dx=(-0.07 * s * d, 0.07 * s * d), near_factor=2.2, shake=shake,
                          seed=seed)
    if re.search(r"\bpan|whip|swish", m):
        d = -1.0 if left else 1.0
        return CameraMove(name="pan-left" if left else "pan-right", zoom=(1.02, 1.02),
                          dx=(-0.12 * s * d, 0.12 * s * d), near_factor=1.15, shake=shake,
                          seed=seed)
    if shake:
        return CameraMove(name="handheld", zoom=(1.03, 1.03), shake=shake, near_factor=1.2,
                          seed=seed)
    return CameraMove(name="static")
