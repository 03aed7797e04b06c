"""The prompt compiler: a shot's world state -> the text a video model reads.

Deterministic (same film, same model -> same prompt, byte for byte) and provider-aware:

- the shot's own dialogue is in its own prompt, as on-screen speech when the model makes audio
  (so lips and voice match) or as lip movement when it does not;
- only the characters present are described;
- a negative prompt goes to the model's negative-prompt input, or is folded into the prompt
  ("Avoid: ...") when the model has none;
- ``max_prompt_chars`` is respected by dropping the least important parts first (style, mood,
  notes), never the action.
"""

from __future__ import annotations

import attrs

from ministudio.capabilities import ClipModel
from ministudio.compile.state import CharacterLook, ShotState
from ministudio.film.model import Film, ShotType
from ministudio.film.presets import CINEMATOGRAPHY_PRESETS, STYLE_PRESETS

__all__ = ["CompiledPrompt", "Framing", "compile_prompt", "framing", "negative_prompt"]


@attrs.frozen(kw_only=True)
class Framing:
    shot_type: ShotType | None
    movement: str | None
    lens: str | None
    note: str | None


@attrs.frozen(kw_only=True)
class CompiledPrompt:
    prompt: str
    #: for the model's negative-prompt input (None when folded into the prompt or empty)
    negative_prompt: str | None
    #: names of parts dropped to fit ``max_prompt_chars``
    dropped: tuple[str, ...] = ()


@attrs.frozen
class _Part:
    name: str
    text: str
    #: 0 is never dropped; higher numbers go first when the prompt is too long
    priority: int


def framing(state: ShotState) -> Framing:
    """Shot type and camera: the shot's own values, else its cinematography preset's."""
    shot = state.shot
    preset = CINEMATOGRAPHY_PRESETS.get(shot.preset or "")
    cam = shot.camera
    return Framing(
        shot_type=shot.type or (preset.shot_type if preset else None),
        movement=(cam.movement if cam and cam.movement else None) or (preset.movement if preset else None),
        lens=(cam.lens if cam and cam.lens else None) or (preset.lens if preset else None),
        note=preset.note if preset else None,
    )


def negative_prompt(film: Film, state: ShotState) -> str | None:
    """The style preset's, the film's and the shot's negative prompts, in that order."""
    parts: list[str] = []
    preset = STYLE_PRESETS.get(film.style.preset or "")
    for text in (preset.negative_prompt if preset else None, film.style.negative_prompt,
                 state.shot.negative_prompt):
        if text and text.strip() and text.strip() not in parts:
            parts.append(text.strip())
    return ", ".join(parts) or None


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".!?\"'" else text + "."


def _character(c: CharacterLook) -> str:
    bits = [c.description.strip()] if c.description.strip() else []
    ident = c.identity
    for label, value in (("face", ident.face), ("hair", ident.hair), ("eyes", ident.eyes),
                         ("skin", ident.skin), ("build", ident.build), ("age", ident.age),
                         ("marks", ident.marks)):
        if value:
            bits.append(f"{label}: {value}")
    if c.wardrobe:
        bits.append(f"wearing {c.wardrobe}")
    if c.props:
        bits.append("carrying " + ", ".join(c.props))
    if c.condition:
        bits.append(c.condition)
    return _sentence(f"{c.name}: " + "; ".join(bits)) if bits else _sentence(c.name)


def compile_prompt(
    film: Film,
    state: ShotState,
    model: ClipModel,
    *,
    segment: int = 1,
    segments: int = 1,
    continues: bool = False,
    referenced: tuple[str, ...] = (),
) -> CompiledPrompt:
    """Compile one segment's prompt. ``referenced`` names the characters whose reference
    images are sent with the request (the prompt asks the model to match them)."""
    shot = state.shot
    parts: list[_Part] = []
    fr = framing(state)
    frame_bits = [fr.shot_type.label if fr.shot_type else None,
                  f"{fr.lens} lens" if fr.lens else None,
                  f"camera: {fr.movement}" if fr.movement else None]
    frame_text = ", ".join(b for b in frame_bits if b)
    if frame_text:
        parts.append(_Part("framing", _sentence(frame_text), 1))
    if fr.note:
        parts.append(_Part("composition", _sentence(fr.note.capitalize()), 5))
    parts.append(_Part("action", _sentence(shot.action), 0))
    if segments > 1:
        parts.append(_Part("segment", f"(Part {segment} of {segments} of one continuous take.)", 2))
    for c in state.present:
        parts.append(_Part(f"character:{c.id}", _character(c), 2))
    names = {c.id: c.name for c in state.cast.values()}
    for line in shot.dialogue:
        who = names.get(line.speaker, line.speaker)
        how = f" ({line.delivery})" if line.delivery else ""
        if model.native_audio:
            text = f'{who} says{how}: "{line.line.strip()}"'
        else:
            text = f'{who} speaks{how}, lips moving in sync with: "{line.line.strip()}"'
        parts.append(_Part("dialogue", text, 1))
    env = state.environment
    env_bits = [_sentence(f"Setting: {env.description}")]
    if env.fixed_elements:
        env_bits.append(_sentence("Always in place: " + ", ".join(env.fixed_elements)))
    if env.lighting:
        env_bits.append(_sentence(f"Lighting: {env.lighting}"))
    if env.time_of_day:
        env_bits.append(_sentence(f"Time of day: {env.time_of_day}"))
    parts.append(_Part("environment", " ".join(env_bits), 3))
    if env.palette:
        parts.append(_Part("palette", _sentence("Colour palette: " + ", ".join(env.palette)), 5))
    if state.mood:
        parts.append(_Part("mood", _sentence(f"Mood: {state.mood}"), 5))
    preset = STYLE_PRESETS.get(film.style.preset or "")
    traits = [*(preset.traits if preset else ()), *film.style.traits]
    if traits:
        parts.append(_Part("style", _sentence("Style: " + ", ".join(traits)), 4))
    if referenced:
        who = ", ".join(names.get(r, r) for r in referenced)
        parts.append(_Part("references", _sentence(f"{who} must match the reference images exactly"), 4))
    if continues:
        parts.append(_Part("continuity", "Continues seamlessly from the given first frame.", 6))
    negative = negative_prompt(film, state)
    if negative and not model.negative_prompt:
        parts.append(_Part("avoid", _sentence(f"Avoid: {negative}"), 6))
        negative = None

    dropped: list[str] = []
    limit = model.max_prompt_chars
    text = "\n".join(p.text for p in parts)
    if limit is not None:
        order = sorted((p for p in parts if p.priority > 0),
                       key=lambda p: (-p.priority, -parts.index(p)))
        for victim in order:
            if len(text) <= limit:
                break
            parts.remove(victim)
            dropped.append(victim.name)
            text = "\n".join(p.text for p in parts)
        if len(text) > limit:
            cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0]
            text = cut + "…"
            dropped.append("truncated")
    return CompiledPrompt(prompt=text, negative_prompt=negative, dropped=tuple(dropped))
