"""The planner: a film -> one :class:`ShotPlan` per clip to render, in order.

Per shot it picks the provider and model, fits the duration (``auto`` = the speech, measured
when ``speech_durations`` is given, else estimated from the words), snaps it to what the model
allows (never shorter than the speech), splits shots longer than the model can render into
chained segments, decides continuity (which clip must wait for which) and the conditioning the
model supports (reference images and/or a first frame), compiles the prompt and estimates cost.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from ministudio.capabilities import ClipModel, Operation, ReferenceRole
from ministudio.capcheck import (
    clip_violations,
    duration_rule_note,
    duration_violation,
    text_violations,
    voice_violations,
)
from ministudio.compile.casting import NARRATOR, Casting, cast_voices
from ministudio.compile.prompt import compile_prompt, framing
from ministudio.compile.state import ShotState, world_states
from ministudio.errors import ConfigError, MinistudioError
from ministudio.film.model import AUTO, Conditioning, Film, Transition, VoiceSpec
from ministudio.log import get_logger
from ministudio.pricing import effective_pricing
from ministudio.requests import ClipRequest, ReferenceImage, SpeechRequest

__all__ = [
    "CharacterRef",
    "FilmPlan",
    "ShotPlan",
    "SpeechLine",
    "estimate_speech_s",
    "plan_film",
    "plan_problems",
    "split_duration",
]

log = get_logger(__name__)

WORDS_PER_S = 2.5  #: ~150 words a minute
PAUSE_S = 0.4  #: between two lines
TAIL_S = 0.6  #: breathing room after the last word
DEFAULT_S = 4.0  #: an ``auto`` shot without speech
DEFAULT_TRANSITION_S = 0.5


@attrs.frozen(kw_only=True)
class SpeechLine:
    kind: str  #: ``narration`` or ``dialogue``
    speaker: str | None
    text: str
    request: SpeechRequest


@attrs.frozen(kw_only=True)
class CharacterRef:
    id: str
    name: str
    references: tuple[Path, ...]
    identity_threshold: float | None


@attrs.frozen(kw_only=True)
class ShotPlan:
    """One clip to render: a shot, or one segment of a shot split into chained segments."""

    id: str  #: ``scene.shot``, plus ``.N`` for segment N of a split shot
    scene_id: str
    shot_id: str
    segment: int
    segments: int
    #: complete except ``first_frame`` when ``continues_from`` is set (the engine fills it with
    #: that clip's anchor frame); ``reference_images`` holds only images that will be sent
    request: ClipRequest
    continues_from: str | None
    #: the shot's speech (on its first segment; it spans all segments of the shot)
    speech: tuple[SpeechLine, ...]
    duration_s: float
    #: ``explicit``, ``speech`` (measured), ``estimate`` (from the words) or ``default``
    duration_source: str
    estimated_cost: Decimal | None
    characters: tuple[CharacterRef, ...]
    transition: str
    transition_s: float
    keep_clip_audio: bool

    @property
    def key(self) -> str:
        """``scene.shot`` (the same for every segment of a shot)."""
        return f"{self.scene_id}.{self.shot_id}"


@attrs.frozen(kw_only=True)
class FilmPlan:
    title: str
    aspect_ratio: str
    resolution: str
    fps: int
    shots: tuple[ShotPlan, ...]
    estimated_cost: Decimal
    currency: str
    warnings: tuple[str, ...] = ()
    #: (speaker id or ``narrator``, name, voice id or None for the model's default), cast by
    #: :func:`ministudio.compile.casting.cast_voices`
    voices: tuple[tuple[str, str, str | None], ...] = ()

    @property
    def duration_s(self) -> float:
        return round(sum(s.duration_s for s in self.shots), 3)


# -- durations ----------------------------------------------------------------------------------


def estimate_speech_s(lines: list[str], rate: float = 1.0) -> float:
    """Seconds to speak ``lines``: words at ~150/min (scaled by ``rate``), pauses between lines."""
    words = sum(len(t.split()) for t in lines)
    if not words:
        return 0.0
    return round(words / (WORDS_PER_S * rate) + PAUSE_S * (len(lines) - 1), 2)


def _snap_up(seconds: float, model: ClipModel) -> float:
    """The shortest duration the model allows that is at least ``seconds``."""
    if model.durations:
        fitting = [d for d in sorted(model.durations) if d >= seconds - 1e-6]
        return float(fitting[0]) if fitting else float(max(model.durations))
    return round(min(max(seconds, model.min_duration_s), model.max_duration_s), 2)


def split_duration(target: float, model: ClipModel) -> tuple[float, ...]:
    """Segment durations covering ``target`` seconds with the fewest segments the model needs,
    each one it allows, with the least excess (ties: the most even split)."""
    longest = model.longest
    n = max(1, math.ceil(target / longest - 1e-9))
    if n == 1:
        return (_snap_up(target, model),)
    if not model.durations:
        each = max(round(target / n, 2), model.min_duration_s)
        return tuple([each] * n)
    allowed = sorted(set(model.durations))
    if math.comb(len(allowed) + n - 1, n) <= 20000:
        best: tuple[float, ...] | None = None
        for combo in itertools.combinations_with_replacement(allowed, n):
            total = sum(combo)
            if total < target - 1e-6:
                continue
            key = (total, max(combo) - min(combo))
            if best is None or key < (sum(best), max(best) - min(best)):
                best = combo
        if best is not None:
            return tuple(float(d) for d in sorted(best, reverse=True))
    rest = target - longest * (n - 1)
    return tuple([float(longest)] * (n - 1) + [_snap_up(rest, model)])


# -- provider choice ----------------------------------------------------------------------------


def _clip_choice(film: Film, state: ShotState, settings: Any) -> tuple[str, str | None]:
    shot = state.shot
    if shot.provider:
        return shot.provider, shot.model
    if film.defaults.provider:
        return film.defaults.provider, shot.model or film.defaults.model
    return (
        str(settings.get("defaults.provider") or "animatic"),
        shot.model or film.defaults.model or settings.get("defaults.model"),
    )


def _voice_request(
    film: Film, settings: Any, provider: str, model: str | None, voice: VoiceSpec | None,
    text: str, shot_key: str, delivery: str | None,
) -> SpeechRequest:
    v = voice or VoiceSpec()
    instructions = "; ".join(x for x in (v.instructions, delivery) if x) or None
    return SpeechRequest(
        provider=provider, model=model, text=text,
        voice=v.id or settings.get("defaults.voice"),
        language=v.language or film.defaults.language, rate=v.rate, pitch=v.pitch,
        instructions=instructions, shot_id=shot_key,
    )


def _references(state: ShotState, film: Film, model: ClipModel) -> tuple[list[ReferenceImage], list[str]]:
    """Reference images the model can take, characters first (one each, round robin), then the
    environment plate, then style; and what did not fit."""
    roles = set(model.reference_roles)
    pools: list[list[ReferenceImage]] = []
    if ReferenceRole.SUBJECT in roles:
        for c in state.present:
            pools.append([ReferenceImage(path=p, role=ReferenceRole.SUBJECT, label=c.id)
                          for p in c.references])
    env_pool = [ReferenceImage(path=p, role=ReferenceRole.ENVIRONMENT, label=state.environment.id)
                for p in state.environment.references] if ReferenceRole.ENVIRONMENT in roles else []
    style_pool = [ReferenceImage(path=p, role=ReferenceRole.STYLE, label="style")
                  for p in film.style.references] if ReferenceRole.STYLE in roles else []
    ordered: list[ReferenceImage] = []
    for round_ in itertools.zip_longest(*pools):
        ordered += [r for r in round_ if r is not None]
    ordered += env_pool + style_pool
    chosen = ordered[: model.max_reference_images]
    left = [f"{r.label}:{r.path.name}" for r in ordered[model.max_reference_images:]]
    return chosen, left


# -- the plan -----------------------------------------------------------------------------------


def plan_film(
    film: Film,
    manager: Any,
    settings: Any,
    *,
    speech_durations: Mapping[str, float] | None = None,
) -> FilmPlan:
    """Plan every clip. Raises :class:`~ministudio.errors.MinistudioError` (a missing provider
    or model) on the first shot that cannot be planned; ``plan_problems`` lists them all."""
    plan, _ = _plan(film, manager, settings, speech_durations, collect=False)
    return plan


def plan_problems(film: Film, manager: Any, settings: Any) -> tuple[FilmPlan, list[str]]:
    """Plan what can be planned and list every problem (located) for the rest."""
    return _plan(film, manager, settings, None, collect=True)


def _plan(
    film: Film, manager: Any, settings: Any, speech_durations: Mapping[str, float] | None,
    *, collect: bool,
) -> tuple[FilmPlan, list[str]]:
    origin = film.origin
    problems: list[str] = []
    warnings: list[str] = []
    plans: list[ShotPlan] = []
    pricing_settings = settings.get("pricing") or {}
    speech_provider = film.defaults.speech_provider or settings.get("defaults.speech_provider")
    speech_spec = None
    speech_reported = False
    casting: Casting | None = None
    total = Decimal(0)
    currency: str | None = None
    unknown_price: set[str] = set()
    last_clip: dict[str, str] = {}  # shot key -> id of its last clip

    states = list(world_states(film))
    for index, state in enumerate(states):
        shot = state.shot
        where = state.path
        provider, model_id = _clip_choice(film, state, settings)
        try:
            spec = manager.get_provider(provider, Operation.CLIP)
            try:
                model = spec.clip_model(model_id)
            except KeyError as exc:
                raise ConfigError(str(exc.args[0])) from exc
        except MinistudioError as exc:
            if not collect:
                raise type(exc)(f"{origin.locate(where)}: {exc.message}", hint=exc.hint) from exc
            problems.append(f"{origin.locate(where)}: {exc.message}")
            continue
        slog = log.bind(shot=state.key, provider=provider, model=model.id)

        # speech
        lines: list[SpeechLine] = []
        texts: list[str] = []
        speech_model = film.defaults.speech_model
        if shot.narration and shot.narration.strip():
            text = " ".join(shot.narration.split())
            lines.append(SpeechLine(kind="narration", speaker=None, text=text, request=_voice_request(
                film, settings, speech_provider, speech_model, film.defaults.narrator, text,
                state.key, None)))
            texts.append(text)
        for line in shot.dialogue:
            who = state.cast.get(line.speaker)
            text = " ".join(line.line.split())
            lines.append(SpeechLine(kind="dialogue", speaker=line.speaker, text=text,
                                    request=_voice_request(
                                        film, settings, speech_provider, speech_model,
                                        who.voice if who else None, text, state.key, line.delivery)))
            texts.append(text)
        if lines and speech_spec is None and not speech_reported:
            try:
                speech_spec = manager.get_provider(speech_provider, Operation.SPEECH)
            except MinistudioError as exc:
                speech_reported = True
                msg = f"{origin.locate(where)}: speech: {exc.message}"
                (problems if collect else warnings).append(msg)
        speech_model_caps = None
        if lines and speech_spec is not None:
            try:
                speech_model_caps = speech_spec.speech_model(speech_model)
            except KeyError as exc:
                if not speech_reported:
                    speech_reported = True
                    (problems if collect else warnings).append(
                        f"{origin.locate('defaults.speech_model')}: {exc.args[0]}")
        if speech_model_caps is not None and not speech_model_caps.instructions:
            # delivery notes still reach the video prompt; this engine cannot take them
            lines = [attrs.evolve(sl, request=attrs.evolve(sl.request, instructions=None))
                     for sl in lines]
        if speech_model_caps is not None and casting is None:
            casting = cast_voices(film, speech_model_caps, settings.get("defaults.voice"))
            warnings += casting.warnings
        if casting is not None:  # each speaker's own voice (docs/tts.md, "Voices")
            lines = [attrs.evolve(sl, request=attrs.evolve(sl.request, voice=v))
                     if (v := casting.voices.get(sl.speaker or NARRATOR)) else sl
                     for sl in lines]
        if speech_model_caps is not None and collect:
            problems += _speech_problems(film, where, lines, speech_provider, speech_model_caps,
                                         problems)

        # continuity
        prev_clip = last_clip.get(state.previous or "") if state.previous else None
        continues = not state.cut and prev_clip is not None
        if continues and not model.first_frame:
            warnings.append(f"{state.key}: {provider}/{model.id} cannot start from a frame; "
                            "continuity rests on references and the prompt")
            continues = False

        refs_all, left = _references(state, film, model)
        cond = shot.conditioning
        if continues and cond is Conditioning.REFERENCES and refs_all \
                and not model.references_with_frames:
            continues = False  # the film prefers identity references over the previous frame
        sends_refs = bool(refs_all) and cond is not Conditioning.FRAME and (
            not continues or model.references_with_frames or cond is Conditioning.BOTH)
        # durations the model allows for this shot (some only with references / resolutions)
        dmodel = model.for_request(resolution=film.format.resolution, references=sends_refs)

        # duration
        if shot.duration != AUTO:
            target, source = float(shot.duration), "explicit"
            if target <= dmodel.longest + 1e-6 and (v := duration_violation(target, dmodel)):
                v += duration_rule_note(model, resolution=film.format.resolution,
                                        references=sends_refs)
                (problems if collect else warnings).append(
                    f"{origin.locate(where + '.duration')}: {provider}/{model.id}: {v}; "
                    "use one of them or 'auto'")
        elif speech_durations is not None and state.key in speech_durations:
            target, source = float(speech_durations[state.key]) + TAIL_S, "speech"
        elif texts:
            rate = lines[0].request.rate if len(lines) == 1 else 1.0
            target, source = estimate_speech_s(texts, rate) + TAIL_S, "estimate"
        else:
            target, source = (_snap_up(DEFAULT_S, dmodel), "default")
        if source != "explicit" or target > dmodel.longest + 1e-6:
            segs = split_duration(target, dmodel)
        elif not collect and duration_violation(target, dmodel):
            segs = (_snap_up(target, dmodel),)  # validate refuses it; a plan snaps and warns
        else:
            segs = (target,)
        if len(segs) > 1:
            warnings.append(f"{state.key}: {target:g}s is longer than {provider}/{model.id} renders "
                            f"({dmodel.longest:g}s); split into {len(segs)} chained segments "
                            f"({' + '.join(f'{d:g}' for d in segs)} s)")

        seed = shot.seed if shot.seed is not None else film.defaults.seed
        if seed is not None and not model.seed:
            warnings.append(f"{state.key}: {provider}/{model.id} takes no seed; seed {seed} not sent")
            seed = None
        generate_audio = shot.clip_audio if shot.clip_audio is not None else model.native_audio
        char_refs = tuple(
            CharacterRef(id=c.id, name=c.name, references=c.references,
                         identity_threshold=c.identity_threshold)
            for c in state.present
        )
        missing_refs = [c.name for c in state.present if not c.references]
        if missing_refs and model.max_reference_images:
            warnings.append(f"{state.key}: no reference portraits for {', '.join(missing_refs)}; "
                            "identity rests on the prompt")
        fr = framing(state)
        direction = _direction(film, state, fr)

        clip_price = effective_pricing(provider, model.id, model.pricing, pricing_settings)
        for k, seg_s in enumerate(segs, start=1):
            seg_id = state.key if len(segs) == 1 else f"{state.key}.{k}"
            continues_from = (prev_clip if continues else None) if k == 1 else plans[-1].id
            with_frames = continues_from is not None or (k == 1 and shot.start_frame is not None) \
                or (k == len(segs) and shot.end_frame is not None)
            if cond is Conditioning.FRAME and with_frames:
                refs = []
            elif cond is Conditioning.BOTH:
                refs = refs_all  # a model that cannot combine them is reported below
            else:
                refs = refs_all if (not with_frames or model.references_with_frames) else []
            if not refs and refs_all and k == 1 and cond is Conditioning.AUTO:
                warnings.append(f"{state.key}: {provider}/{model.id} cannot combine reference "
                                "images with a start frame; continuity wins for this clip")
            if left and k == 1:
                warnings.append(f"{state.key}: {model.id} takes {model.max_reference_images} "
                                f"reference image(s); not sent: {', '.join(left)}")
            compiled = compile_prompt(
                film, state, model, segment=k, segments=len(segs),
                continues=continues_from is not None,
                referenced=tuple(dict.fromkeys(r.label for r in refs if r.role == ReferenceRole.SUBJECT)),
            )
            if compiled.dropped and k == 1:
                warnings.append(f"{state.key}: prompt shortened to {model.max_prompt_chars} "
                                f"characters for {model.id} (dropped: {', '.join(compiled.dropped)})")
            request = ClipRequest(
                provider=provider, model=model.id, prompt=compiled.prompt, duration_s=seg_s,
                aspect_ratio=film.format.aspect_ratio, resolution=film.format.resolution,
                fps=film.format.fps, negative_prompt=compiled.negative_prompt, seed=seed,
                reference_images=tuple(refs),
                first_frame=shot.start_frame if k == 1 and continues_from is None else None,
                last_frame=shot.end_frame if k == len(segs) else None,
                generate_audio=generate_audio, shot_id=seg_id,
                direction={**direction, "segment": k, "segments": len(segs),
                           **_edges(states, index, k, len(segs))},
            )
            if collect:
                probe = request if continues_from is None else attrs.evolve(
                    request, first_frame=Path("anchor.png"))
                for v in clip_violations(probe, model):
                    if v.startswith("duration") and source == "explicit" and len(segs) == 1:
                        continue  # reported above, located at the duration
                    problems.append(f"{origin.locate(where)}: {provider}/{model.id}: {v}")
            cost = None
            if clip_price is not None:
                cost = clip_price.estimate_request(request)  # its resolution and audio too
                currency = currency or clip_price.currency
                if clip_price.currency != currency:
                    warnings.append(f"{state.key}: priced in {clip_price.currency}, "
                                    f"the film in {currency}; not added to the total")
                else:
                    total += cost
            else:
                unknown_price.add(f"{provider}/{model.id}")
            if k == 1 and lines and speech_model_caps is not None:
                sp = effective_pricing(speech_provider, speech_model_caps.id,
                                       speech_model_caps.pricing, pricing_settings)
                if sp is not None and sp.currency == (currency or sp.currency):
                    speech_cost = sp.estimate(chars=sum(len(t) for t in texts), seconds=0.0)
                    cost = (cost or Decimal(0)) + speech_cost
                    total += speech_cost
            transition = shot.transition if k == 1 else Transition.CUT
            t_s = (shot.transition_s if shot.transition_s is not None
                   else (0.0 if transition == Transition.CUT else DEFAULT_TRANSITION_S))
            plans.append(ShotPlan(
                id=seg_id, scene_id=state.scene.id, shot_id=shot.id, segment=k,
                segments=len(segs), request=request, continues_from=continues_from,
                speech=tuple(lines) if k == 1 else (), duration_s=seg_s,
                duration_source=source, estimated_cost=cost, characters=char_refs,
                transition=transition.value, transition_s=t_s if k == 1 else 0.0,
                keep_clip_audio=generate_audio,
            ))
            slog.debug("plan.clip", clip=seg_id, duration_s=seg_s, continues_from=continues_from)
        last_clip[state.key] = plans[-1].id
    if unknown_price:
        warnings.append("no price declared for " + ", ".join(sorted(unknown_price))
                        + "; not in the total (set [pricing] in settings)")
    plan = FilmPlan(
        title=film.title, aspect_ratio=film.format.aspect_ratio,
        resolution=film.format.resolution, fps=film.format.fps, shots=tuple(plans),
        estimated_cost=total, currency=currency or "USD", warnings=tuple(warnings),
        voices=tuple((sp, casting.names[sp], v) for sp, v in casting.voices.items())
        if casting is not None else (),
    )
    return plan, problems


def _speech_problems(film: Film, where: str, lines: list[SpeechLine], provider: str,
                     model: Any, reported: list[str]) -> list[str]:
    """Every speech line checked against the speech model's capabilities, each problem
    located where it is written: the line for its text, the voice (``characters.X.voice``,
    ``defaults.narrator``) for what the voice asks; a voice's problem is reported once."""
    origin = film.origin
    out: list[str] = []
    dialogue_i = 0
    for sl in lines:
        if sl.kind == "narration":
            line_at, voice_at, spec = f"{where}.narration", "defaults.narrator", film.defaults.narrator
        else:
            line_at = f"{where}.dialogue[{dialogue_i}]"
            dialogue_i += 1
            who = film.characters.get(sl.speaker or "")
            voice_at, spec = f"characters.{sl.speaker}.voice", who.voice if who else None
        for v in text_violations(sl.request, model):
            out.append(f"{origin.locate(line_at)}: speech ({provider}/{model.id}): {v}")
        for field, v in voice_violations(sl.request, model):
            declared = spec is not None and getattr(spec, field, None) not in (None, "")
            if field == "language" and not declared:
                at = origin.locate("defaults.language") if film.defaults.language else None
            elif field == "id" and not declared:
                at = None  # from the settings' defaults.voice
            else:
                at = origin.locate(f"{voice_at}.{field}")
            msg = (f"{at}: speech ({provider}/{model.id}): {v}" if at else
                   f"{origin.locate(line_at)}: speech ({provider}/{model.id}): {v} "
                   f"(from the settings' defaults.{'voice' if field == 'id' else field})")
            if msg not in out and msg not in reported:
                out.append(msg)
    return out


def _edges(states: list[ShotState], index: int, segment: int, segments: int) -> dict[str, Any]:
    """Where a clip sits in the cut: ``opening`` (the film's first clip) and how it is entered
    and left (``transition_in`` / ``transition_out``: ``{"type": "dissolve"|"fade",
    "seconds": s}``, ``None`` for a cut), so a provider that draws graphics (the animatic's
    title card, slate and captions) can keep them to the opening and out of a dissolve."""

    def edge(state: ShotState) -> dict[str, Any] | None:
        shot = state.shot
        if shot.transition == Transition.CUT:
            return None
        seconds = shot.transition_s if shot.transition_s is not None else DEFAULT_TRANSITION_S
        return {"type": shot.transition.value, "seconds": float(seconds)}

    last = segment == segments and index + 1 < len(states)
    return {
        "opening": index == 0 and segment == 1,
        "transition_in": edge(states[index]) if index and segment == 1 else None,
        "transition_out": edge(states[index + 1]) if last else None,
    }


def _direction(film: Film, state: ShotState, fr: Any) -> dict[str, Any]:
    shot = state.shot
    env = state.environment
    names = {c.id: c.name for c in state.cast.values()}
    return {
        "title": film.title,
        "shot_type": fr.shot_type.value if fr.shot_type else None,
        "camera": {"movement": fr.movement, "lens": fr.lens},
        "action": " ".join(shot.action.split()),
        "characters": [
            {"id": c.id, "name": c.name, "description": c.description, "wardrobe": c.wardrobe,
             "props": list(c.props), "condition": c.condition}
            for c in state.present
        ],
        "environment": {
            "id": env.id, "description": env.description, "palette": list(env.palette),
            "lighting": env.lighting, "time_of_day": env.time_of_day,
            "fixed_elements": list(env.fixed_elements),
        },
        "mood": state.mood,
        "dialogue": [{"speaker": names.get(d.speaker, d.speaker), "line": d.line}
                     for d in shot.dialogue],
        "narration": shot.narration,
        "scene": state.scene.id,
        "shot": shot.id,
    }
