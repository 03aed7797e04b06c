"""The film format (storyboard-as-code): model, loaders, validation and JSON Schema.

``load_film(path)`` reads YAML, TOML or JSON into a :class:`Film` (raising
:class:`~ministudio.errors.ConfigError` with one located line per problem);
``validate_film(film, manager, settings)`` adds file, provider and capability checks.
"""

from __future__ import annotations

from ministudio.film.loader import load_film, read_film
from ministudio.film.model import (
    Camera,
    Character,
    CharacterChange,
    Conditioning,
    Continuity,
    Defaults,
    Environment,
    EnvironmentChange,
    Film,
    Format,
    Identity,
    Line,
    Scene,
    Shot,
    ShotType,
    Style,
    Transition,
    VoiceSpec,
)
from ministudio.film.validate import validate_film

__all__ = [
    "Camera",
    "Character",
    "CharacterChange",
    "Conditioning",
    "Continuity",
    "Defaults",
    "Environment",
    "EnvironmentChange",
    "Film",
    "Format",
    "Identity",
    "Line",
    "Scene",
    "Shot",
    "ShotType",
    "Style",
    "Transition",
    "VoiceSpec",
    "load_film",
    "read_film",
    "validate_film",
]
