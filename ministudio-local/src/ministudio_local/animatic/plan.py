"""Turn a :class:`~ministudio.ClipRequest` into a :class:`ShotPlan`: what the animatic draws.

Reads the documented ``request.direction`` keys (``shot_type``, ``camera`` {``movement``,
``lens``}, ``action``, ``characters``, ``environment`` {``palette``, ``lighting``,
``time_of_day``, ``description``}, ``mood``, ``dialogue``, ``narration``, ``title``,
``opening``, ``transition_in`` / ``transition_out`` {``type``, ``seconds``}) and the reference
images. Anything missing falls back to the prompt, so a bare prompt still gives a
readable board.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from ministudio.capabilities import ReferenceRole, frame_size
from ministudio.requests import ClipRequest

__all__ = ["CharacterCard", "ShotPlan", "plan_shot", "shot_scale"]

#: shot type -> (portrait card height as a fraction of frame height, vertical centre of the card)
_SCALES: dict[str, tuple[float, float]] = {
    "extreme-wide": (0.22, 0.66),
    "wide": (0.36, 0.62),
    "full": (0.50, 0.60),
    "medium-wide": (0.58, 0.60),
    "medium": (0.70, 0.60),
    "medium-close-up": (0.86, 0.58),
    "close-up": (1.04, 0.56),
    "extreme-close-up": (1.45, 0.52),
    "over-the-shoulder": (0.78, 0.60),
    "two-shot": (0.66, 0.60),
    "insert": (0.9, 0.55),
}

_ALIASES = {
    "ews": "extreme-wide", "els": "extreme-wide", "establishing": "extreme-wide",
    "extreme-long": "extreme-wide", "ws": "wide", "long": "wide", "ls": "wide",
    "full-shot": "full", "fs": "full", "mws": "medium-wide", "medium-long": "medium-wide",
    "cowboy": "medium-wide", "ms": "medium", "mid": "medium", "mcu": "medium-close-up",
    "cu": "close-up", "closeup": "close-up", "close": "close-up", "ecu": "extreme-close-up",
    "xcu": "extreme-close-up", "ots": "over-the-shoulder", "over-shoulder": "over-the-shoulder",
    "two": "two-shot", "2-shot": "two-shot", "detail": "insert",
}


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower()).replace("–", "-")


def shot_scale(shot_type: str) -> tuple[str, float, float]:
    """Canonical shot type name, card height fraction and card centre for ``shot_type``."""
    key = _norm(shot_type)
    key = re.sub(r"-?shot$", "", key) if key not in ("two-shot",) else key
    key = _ALIASES.get(key, key)
    if key not in _SCALES:
        for name in sorted(_SCALES, key=len, reverse=True):
            if name in key:
                key = name
                break
        else:
            key = "medium"
    h, cy = _SCALES[key]
    return key, h, cy


@attrs.frozen(kw_only=True)
class CharacterCard:
    """A character on the board: a portrait (or a drawn silhouette when there is none)."""

    id: str
    name: str
    portrait: Path | None = None
    #: what the shot says they wear / how they look now (wardrobe changes, conditions)
    note: str = ""


@attrs.frozen(kw_only=True)
class ShotPlan:
    width: int
    height: int
    fps: int
    frames: int
    seed: int
    shot_label: str
    shot_type: str
    card_height: float
    card_center_y: float
    movement: str
    lens: str
    action: str
    title: str
    narration: str
    mood: str
    dialogue: tuple[tuple[str, str], ...]
    characters: tuple[CharacterCard, ...]
    backdrop: Path | None
    style: Path | None
    palette: tuple[str, ...]
    lighting: str
    environment: str
    #: the film's first clip: the only one that shows the title card
    opening: bool = True
    #: seconds of a dissolve/fade into and out of this clip (0: a cut); the graphics stay out
    #: of them, so a transition blends pictures, not captions
    transition_in_s: float = 0.0
    transition_out_s: float = 0.0

    @property
    def labels_on_cards(self) -> bool:
        """Name tags ride on the cards, except where a tag on the chest would sit under the
        subtitles (close-ups; medium and closer shots with dialogue): there the names go in a
        corner label instead."""
        return self.card_height < (0.6 if self.dialogue else 0.9)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _seed(request: ClipRequest) -> int:
    if request.seed is not None:
        return int(request.seed) & 0x7FFFFFFF
    digest = hashlib.sha256(f"{request.shot_id}|{request.prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _characters(direction: Mapping[str, Any], request: ClipRequest) -> tuple[CharacterCard, ...]:
    portraits: dict[str, Path] = {}
    unlabeled: list[Path] = []
    for ref in request.reference_images:
        if ref.role is ReferenceRole.SUBJECT:
            if ref.label:
                portraits.setdefault(ref.label.lower(), ref.path)
            else:
                unlabeled.append(ref.path)
    cards: list[CharacterCard] = []
    used: set[str] = set()
    raw = direction.get("characters") or ()
    if isinstance(raw, str | Mapping):
        raw = [raw]
    for entry in raw if isinstance(raw, Sequence) else ():
        note = ""
        if isinstance(entry, Mapping):
            cid = _text(entry.get("id") or entry.get("name"))
            name = _text(entry.get("name") or entry.get("id"))
            note = "; ".join(x for x in (_text(entry.get("wardrobe")),
                                         _text(entry.get("condition"))) if x)
        else:
            cid = name = _text(entry)
        if not cid:
            continue
        portrait = portraits.get(cid.lower()) or portraits.get(name.lower())
        if portrait is None and unlabeled:
            portrait = unlabeled.pop(0)
        used.add(cid.lower())
        used.add(name.lower())
        cards.append(CharacterCard(id=cid, name=name or cid, portrait=portrait, note=note))
    # portraits referenced but not named in direction still appear
    for label, path in portraits.items():
        if label not in used:
            cards.append(CharacterCard(id=label, name=label, portrait=path))
    for path in unlabeled:
        cards.append(CharacterCard(id=path.stem, name="", portrait=path))
    return tuple(cards[:6])


def _dialogue(direction: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = direction.get("dialogue") or ()
    if isinstance(raw, str | Mapping):
        raw = [raw]
    out: list[tuple[str, str]] = []
    for entry in raw:
        if isinstance(entry, Mapping):
            line = _text(entry.get("line") or entry.get("text"))
            if line:
                out.append((_text(entry.get("speaker") or entry.get("character")), line))
        elif _text(entry):
            out.append(("", _text(entry)))
    return tuple(out)


def _palette(env: Mapping[str, Any]) -> tuple[str, ...]:
    raw = env.get("palette") or ()
    if isinstance(raw, str):
        raw = re.split(r"[,\s]+", raw)
    return tuple(
        c if c.startswith("#") else f"#{c}"
        for c in (str(v).strip() for v in raw)
        if re.fullmatch(r"#?[0-9a-fA-F]{6}", c)
    )


def _transition_s(value: Any) -> float:
    if not isinstance(value, Mapping) or str(value.get("type") or "cut") == "cut":
        return 0.0
    try:
        return max(0.0, float(value.get("seconds") or 0.0))
    except (TypeError, ValueError):
        return 0.0


def plan_shot(request: ClipRequest) -> ShotPlan:
    """Everything the renderer needs, resolved from the request (pure, no I/O)."""
    d = request.direction
    width, height = frame_size(request.aspect_ratio, request.resolution)
    camera = d.get("camera") or {}
    if isinstance(camera, str):
        camera = {"movement": camera}
    env = d.get("environment") or {}
    if isinstance(env, str):
        env = {"description": env}
    shot_type, card_h, card_cy = shot_scale(_text(d.get("shot_type")) or "medium")
    backdrop = style = None
    for ref in request.reference_images:
        if ref.role is ReferenceRole.ENVIRONMENT and backdrop is None:
            backdrop = ref.path
        elif ref.role is ReferenceRole.STYLE and style is None:
            style = ref.path
    action = _text(d.get("action")) or _text(request.prompt)
    return ShotPlan(
        width=width,
        height=height,
        fps=int(request.fps),
        frames=max(1, int(round(request.duration_s * request.fps))),
        seed=_seed(request),
        shot_label=_text(request.shot_id) or "",
        shot_type=shot_type,
        card_height=card_h,
        card_center_y=card_cy,
        movement=_text(camera.get("movement")) or "static",
        lens=_text(camera.get("lens")),
        action=action,
        title=_text(d.get("title")),
        narration=_text(d.get("narration")),
        mood=_text(d.get("mood")),
        dialogue=_dialogue(d),
        characters=_characters(d, request),
        backdrop=backdrop,
        style=style,
        palette=_palette(env),
        lighting=" ".join(
            x for x in (_text(env.get("lighting")), _text(env.get("time_of_day"))) if x
        ),
        environment=_text(env.get("description") or env.get("id")),
        # a request from elsewhere (no ``opening`` key) keeps its title card
        opening=bool(d.get("opening", True)),
        transition_in_s=_transition_s(d.get("transition_in")),
        transition_out_s=_transition_s(d.get("transition_out")),
    )
