"""Speech overrides of a loaded film: one film told in another language or voice.

:func:`apply_speech_overrides` returns a new :class:`~ministudio.film.Film` (records are
frozen); the file is never edited. Used by ``render(..., speech=SpeechOverrides(...))`` and by
batch manifests (``language:``, ``voice:``, ``voices:``, ``speech_provider:``).

- ``language`` becomes ``defaults.language`` and the language of every voice the film names.
  A voice id chosen for the film's own language would not speak the new one, so the film's
  voice ids are dropped and the speech model casts voices of the new language (see
  :mod:`ministudio.compile.casting`), unless ``voice``/``voices`` name them.
- ``voice`` is the narrator's voice id; ``voices`` maps character ids to voice ids.
- ``speech_provider`` (and ``speech_model``) replace the film's speech provider.

Delivery settings of a voice (rate, pitch, instructions) are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

from ministudio.errors import ConfigError
from ministudio.film.model import Film, VoiceSpec

__all__ = ["SpeechOverrides", "apply_speech_overrides"]


@attrs.frozen(kw_only=True)
class SpeechOverrides:
    """What to change about a film's speech; ``None`` keeps the film's own."""

    language: str | None = None
    voice: str | None = None
    voices: Mapping[str, str] = attrs.field(
        factory=dict, converter=lambda v: MappingProxyType(dict(v or {}))
    )
    speech_provider: str | None = None
    speech_model: str | None = None

    def __bool__(self) -> bool:
        return bool(self.language or self.voice or self.voices or self.speech_provider
                     or self.speech_model)


def _voice(spec: VoiceSpec | None, *, language: str | None, voice_id: str | None) -> VoiceSpec | None:
    if spec is None and voice_id is None:
        return None
    spec = spec or VoiceSpec()
    if language is not None:
        spec = attrs.evolve(spec, language=language, id=None)
    if voice_id is not None:
        spec = attrs.evolve(spec, id=voice_id)
    return spec


def apply_speech_overrides(film: Film, overrides: SpeechOverrides) -> Film:
    """``film`` with ``overrides`` applied (raises ConfigError for an unknown character)."""
    if not overrides:
        return film
    unknown = sorted(set(overrides.voices) - set(film.characters))
    if unknown:
        raise ConfigError(
            "voice overrides name characters the film does not have: " + ", ".join(unknown),
            hint="characters: " + (", ".join(sorted(film.characters)) or "none"),
        )
    lang = overrides.language
    characters = {
        cid: attrs.evolve(ch, voice=_voice(ch.voice, language=lang,
                                           voice_id=overrides.voices.get(cid)))
        for cid, ch in film.characters.items()
    }
    defaults = attrs.evolve(
        film.defaults,
        narrator=_voice(film.defaults.narrator, language=lang, voice_id=overrides.voice),
        language=lang if lang is not None else film.defaults.language,
    )
    if overrides.speech_provider is not None:
        defaults = attrs.evolve(defaults, speech_provider=overrides.speech_provider,
                                speech_model=overrides.speech_model)
    elif overrides.speech_model is not None:
        defaults = attrs.evolve(defaults, speech_model=overrides.speech_model)
    return attrs.evolve(film, defaults=defaults, characters=characters)
