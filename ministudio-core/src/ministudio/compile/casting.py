"""Voice casting: which voice each speaker (the narrator, each character with dialogue) gets.

A voice the film names (``characters.X.voice.id``, ``defaults.narrator.id``, else the
settings' ``defaults.voice`` for the narrator) is kept. Every other speaker gets a voice of
the speech model that nobody else has, in the model's declared order (its default first,
to the narrator), matching the character's gender where the film says it: a ``she``/``her``
or ``he``/``his`` in the character's description. Speakers who still share a voice (the
model declares too few, or the film names the same one twice) are reported.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

__all__ = ["Casting", "NARRATOR", "cast_voices", "gender_of"]

NARRATOR = "narrator"
_FEMALE = re.compile(r"\b(she|her|hers|herself|woman|girl|mother|wife|queen|lady)\b", re.I)
_MALE = re.compile(r"\b(he|his|him|himself|man|boy|father|husband|king|gentleman)\b", re.I)


@attrs.frozen
class Casting:
    #: speaker (``narrator`` or a character id) -> voice id (None: the model's default)
    voices: dict[str, str | None]
    #: speaker -> the name to show
    names: dict[str, str]
    warnings: tuple[str, ...] = ()


def gender_of(text: str) -> str | None:
    """``female`` / ``male`` when the text says it (pronouns, a few nouns), else None."""
    f, m = len(_FEMALE.findall(text or "")), len(_MALE.findall(text or ""))
    return "female" if f > m else "male" if m > f else None


def cast_voices(film: Any, model: Any, default_voice: str | None) -> Casting:
    """Cast the film's speakers on ``model`` (a :class:`~ministudio.SpeechModel`)."""
    speakers: list[str] = []
    if any(s.narration and s.narration.strip() for sc in film.scenes for s in sc.shots):
        speakers.append(NARRATOR)
    for sc in film.scenes:
        for shot in sc.shots:
            for line in shot.dialogue:
                if line.speaker not in speakers:
                    speakers.append(line.speaker)
    names = {NARRATOR: NARRATOR}
    chosen: dict[str, str | None] = {}
    for sp in speakers:
        if sp == NARRATOR:
            v = film.defaults.narrator
            chosen[sp] = (v.id if v and v.id else None) or default_voice
        else:
            ch = film.characters.get(sp)
            names[sp] = ch.name if ch else sp
            chosen[sp] = ch.voice.id if ch and ch.voice and ch.voice.id else None
    lang = (film.defaults.language or "").lower()
    declared = [v for v in model.voices
                if not lang or v.language.lower().split("-")[0] == lang.split("-")[0]]
    taken = {v for v in chosen.values() if v}
    for sp in speakers:
        if chosen[sp] is not None:
            continue
        free = [v for v in declared if v.id not in taken]
        if not free:  # too few voices: the model's default, shared (and reported below)
            chosen[sp] = declared[0].id if declared else None
            continue
        want = None
        if sp != NARRATOR and (ch := film.characters.get(sp)) is not None:
            want = gender_of(ch.description)
        pick = next((v for v in free if want and v.gender == want), free[0])
        chosen[sp] = pick.id
        taken.add(pick.id)
    by_voice: dict[str, list[str]] = {}
    for sp, v in chosen.items():
        by_voice.setdefault(v or f"{model.id}'s default voice", []).append(names[sp])
    warnings = tuple(
        f"voices: {' and '.join(who)} share one voice ({v}); give each a voice "
        f"(characters.<id>.voice.id; `ministudio voices` lists them)"
        for v, who in by_voice.items() if len(who) > 1)
    return Casting(voices=chosen, names=names, warnings=warnings)
