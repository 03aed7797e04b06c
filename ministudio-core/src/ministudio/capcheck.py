"""Check a request against a model's declared capabilities, before any I/O.

``clip_violations`` returns every rule a request breaks (an empty list means it is fine) so
that ``ministudio validate`` can list them all; ``check_clip_request`` raises
:class:`~ministudio.errors.CapabilityError` with all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ministudio.capabilities import ClipModel, SpeechModel
from ministudio.errors import CapabilityError

if TYPE_CHECKING:  # annotations only (plugin modules import this checker on every listing)
    from ministudio.requests import ClipRequest, SpeechRequest

__all__ = [
    "check_clip_request",
    "duration_rule_note",
    "check_speech_request",
    "clip_violations",
    "speech_violations",
    "text_violations",
    "voice_violations",
]

_EPS = 1e-6


def _fmt(values: tuple[object, ...]) -> str:
    return ", ".join(str(v).rstrip("0").rstrip(".") if isinstance(v, float) else str(v) for v in values)


def duration_violation(duration_s: float, model: ClipModel) -> str | None:
    if model.durations:
        if not any(abs(duration_s - d) < _EPS for d in model.durations):
            return (
                f"duration {duration_s:g}s is not one {model.id} allows "
                f"(allowed: {_fmt(model.durations)} s)"
            )
    elif not model.min_duration_s - _EPS <= duration_s <= model.max_duration_s + _EPS:
        return (
            f"duration {duration_s:g}s is outside {model.id}'s range "
            f"{model.min_duration_s:g}–{model.max_duration_s:g} s"
        )
    return None


def duration_rule_note(model: ClipModel, *, resolution: str, references: bool) -> str:
    """`` for 1080p with reference images`` when such a rule narrows the durations."""
    parts = [resolution] if dict(model.resolution_durations).get(resolution) else []
    if references and model.reference_durations:
        parts.append("reference images")
    return (" for " + " with ".join(parts)) if parts else ""


def clip_violations(request: ClipRequest, model: ClipModel) -> list[str]:
    """Every way ``request`` exceeds what ``model`` declares."""
    out: list[str] = []
    if not request.prompt.strip():
        out.append("the prompt is empty")
    refs = bool(request.reference_images)
    narrowed = model.for_request(resolution=request.resolution, references=refs)
    if (v := duration_violation(request.duration_s, narrowed)) is not None:
        out.append(v + duration_rule_note(model, resolution=request.resolution, references=refs))
    if model.aspect_ratios and request.aspect_ratio not in model.aspect_ratios:
        out.append(
            f"aspect ratio {request.aspect_ratio} not supported by {model.id} "
            f"(supported: {_fmt(model.aspect_ratios)})"
        )
    if model.resolutions and request.resolution not in model.resolutions:
        out.append(
            f"resolution {request.resolution} not supported by {model.id} "
            f"(supported: {_fmt(model.resolutions)})"
        )
    if model.fps and request.fps not in model.fps:
        out.append(f"{request.fps} fps not supported by {model.id} (supported: {_fmt(model.fps)})")
    refs = request.reference_images
    if len(refs) > model.max_reference_images:
        out.append(
            f"{len(refs)} reference images, {model.id} takes at most {model.max_reference_images}"
        )
    bad_roles = sorted({r.role.value for r in refs if r.role not in model.reference_roles})
    if refs and bad_roles and model.max_reference_images:
        out.append(
            f"reference role(s) {', '.join(bad_roles)} not supported by {model.id} "
            f"(supported: {_fmt(tuple(r.value for r in model.reference_roles)) or 'none'})"
        )
    if request.first_frame is not None and not model.first_frame:
        out.append(f"{model.id} cannot start from a first frame (image-to-video)")
    if request.last_frame is not None and not model.last_frame:
        out.append(f"{model.id} cannot end on a given last frame")
    if (
        refs
        and (request.first_frame is not None or request.last_frame is not None)
        and not model.references_with_frames
    ):
        out.append(f"{model.id} cannot combine reference images with a first or last frame")
    if request.generate_audio and not model.native_audio:
        out.append(f"{model.id} does not generate audio")
    if request.seed is not None and not model.seed:
        out.append(f"{model.id} does not accept a seed")
    if request.negative_prompt and not model.negative_prompt:
        out.append(f"{model.id} does not accept a negative prompt")
    if model.max_prompt_chars is not None and len(request.prompt) > model.max_prompt_chars:
        out.append(
            f"prompt is {len(request.prompt)} characters, {model.id} takes at most "
            f"{model.max_prompt_chars}"
        )
    if not 1 <= request.candidates <= model.max_candidates:
        out.append(f"{request.candidates} candidates asked, {model.id} gives at most {model.max_candidates}")
    return out


def check_clip_request(request: ClipRequest, model: ClipModel) -> None:
    violations = clip_violations(request, model)
    if violations:
        raise CapabilityError(
            f"{request.provider}/{model.id} cannot render shot "
            f"{request.shot_id or '?'}: " + "; ".join(violations),
            violations=violations,
            provider=request.provider,
            model=model.id,
        )


def voice_violations(request: SpeechRequest, model: SpeechModel) -> list[tuple[str, str]]:
    """``(field, problem)`` for every way the request's *voice* (voice, language, rate, pitch,
    instructions) exceeds what ``model`` declares; ``field`` is the voice setting at fault."""
    out: list[tuple[str, str]] = []
    voice_ids = {v.id for v in model.voices}
    if request.voice is not None and voice_ids and request.voice not in voice_ids:
        out.append(("id", f"voice {request.voice!r} not offered by {model.id} "
                          f"(voices: {', '.join(sorted(voice_ids))})"))
    if request.language is not None and model.languages and not any(
        request.language.lower() == lang.lower()
        or request.language.lower().split("-")[0] == lang.lower().split("-")[0]
        for lang in model.languages
    ):
        out.append(("language", f"language {request.language} not offered by {model.id}"))
    if request.instructions and not model.instructions:
        out.append(("instructions", f"{model.id} does not take delivery instructions"))
    low, high = model.rate_range
    if not low - _EPS <= request.rate <= high + _EPS:
        out.append(("rate", f"rate {request.rate:g} outside {model.id}'s range {low:g}–{high:g}"))
    if request.pitch:
        if model.pitch_range is None:
            out.append(("pitch", f"{model.id} cannot shift pitch "
                                 f"(asked {request.pitch:+g} semitones)"))
        elif not model.pitch_range[0] - _EPS <= request.pitch <= model.pitch_range[1] + _EPS:
            out.append(("pitch", f"pitch {request.pitch:+g} semitones outside {model.id}'s "
                                 f"range {model.pitch_range[0]:+g}–{model.pitch_range[1]:+g}"))
    return out


def text_violations(request: SpeechRequest, model: SpeechModel) -> list[str]:
    """Problems with the line's text itself (empty, too long)."""
    out: list[str] = []
    if not request.text.strip():
        out.append("the text is empty")
    if model.max_chars is not None and len(request.text) > model.max_chars:
        out.append(f"text is {len(request.text)} characters, {model.id} takes at most {model.max_chars}")
    return out


def speech_violations(request: SpeechRequest, model: SpeechModel) -> list[str]:
    """Every way ``request`` exceeds what ``model`` declares."""
    return text_violations(request, model) + [v for _, v in voice_violations(request, model)]


def check_speech_request(request: SpeechRequest, model: SpeechModel) -> None:
    violations = speech_violations(request, model)
    if violations:
        raise CapabilityError(
            f"{request.provider}/{model.id} cannot speak this line: " + "; ".join(violations),
            violations=violations,
            provider=request.provider,
            model=model.id,
        )
