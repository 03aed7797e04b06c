"""The film format: what users write, as frozen attrs records.

Every field here has an effect on the plan or the rendered film (see ``docs/film-format.md``
for which). Records are built from plain data by :mod:`ministudio.film.loader` through the one
cattrs converter (:mod:`ministudio.converter`), with strict scalar types and unknown keys
refused. Reference paths are made absolute (relative to the film file) by the loader.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import attrs

__all__ = [
    "AUTO",
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
    "Origin",
    "Scene",
    "Shot",
    "ShotType",
    "Style",
    "Transition",
    "VoiceSpec",
]

AUTO = "auto"
#: a shot's duration: seconds, or ``"auto"`` (fitted to its speech)
Duration = float | Literal["auto"]


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


class ShotType(str, enum.Enum):
    """Framing of a shot. ``label`` is how prompts say it."""

    EXTREME_WIDE = "extreme-wide"
    WIDE = "wide"
    FULL = "full"
    MEDIUM_WIDE = "medium-wide"
    MEDIUM = "medium"
    MEDIUM_CLOSE_UP = "medium-close-up"
    CLOSE_UP = "close-up"
    EXTREME_CLOSE_UP = "extreme-close-up"
    OVER_THE_SHOULDER = "over-the-shoulder"
    TWO_SHOT = "two-shot"
    INSERT = "insert"
    POV = "pov"

    @property
    def label(self) -> str:
        return _SHOT_LABELS[self]


_SHOT_LABELS = {
    ShotType.EXTREME_WIDE: "Extreme wide shot",
    ShotType.WIDE: "Wide shot",
    ShotType.FULL: "Full shot",
    ShotType.MEDIUM_WIDE: "Medium wide shot",
    ShotType.MEDIUM: "Medium shot",
    ShotType.MEDIUM_CLOSE_UP: "Medium close-up",
    ShotType.CLOSE_UP: "Close-up",
    ShotType.EXTREME_CLOSE_UP: "Extreme close-up",
    ShotType.OVER_THE_SHOULDER: "Over-the-shoulder shot",
    ShotType.TWO_SHOT: "Two-shot",
    ShotType.INSERT: "Insert shot",
    ShotType.POV: "Point-of-view shot",
}


class Continuity(str, enum.Enum):
    """How a shot joins the previous one.

    ``auto``: continue from the previous shot's anchor frame when it is in the same scene and
    environment, else cut. ``continue``: always continue (refused across an environment
    change). ``cut``: start fresh (identity comes from reference images only).
    """

    AUTO = "auto"
    CONTINUE = "continue"
    CUT = "cut"


class Conditioning(str, enum.Enum):
    """What grounds a shot on a model that cannot take reference images and a start frame
    together (e.g. Veo).

    ``auto``: reference portraits on the first shot of a chain, the previous shot's anchor
    frame on continued shots (continuity wins). ``references``: always the references; a
    continued shot then starts fresh. ``frame``: only the frame, no references. ``both``:
    require both; a model that cannot combine them is a validation error.
    """

    AUTO = "auto"
    REFERENCES = "references"
    FRAME = "frame"
    BOTH = "both"


class Transition(str, enum.Enum):
    """How the editor joins this shot to the previous one in the final film."""

    CUT = "cut"
    FADE = "fade"  # fade through black
    DISSOLVE = "dissolve"  # cross-dissolve


@attrs.frozen(kw_only=True)
class Format:
    """Output format of the film (every shot is requested in this format)."""

    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    fps: int = 24


@attrs.frozen(kw_only=True)
class VoiceSpec:
    """A voice for speech synthesis. ``id`` is the speech provider's voice id."""

    id: str | None = None
    language: str | None = None
    rate: float = 1.0
    pitch: float = 0.0
    #: free-text delivery instructions (tone, accent) for engines that take them
    instructions: str | None = None


@attrs.frozen(kw_only=True)
class Defaults:
    """Film-wide defaults; shots override provider, model, seed and negative prompt."""

    provider: str | None = None
    model: str | None = None
    speech_provider: str | None = None
    speech_model: str | None = None
    #: the narrator's voice (narration lines)
    narrator: VoiceSpec | None = None
    #: language of all speech unless a voice says otherwise, e.g. ``en-US``
    language: str | None = None
    #: one seed for every shot (seed locking), unless a shot sets its own
    seed: int | None = None


@attrs.frozen(kw_only=True)
class Identity:
    """What must never change about a character's look. Each trait goes into prompts."""

    face: str | None = None
    hair: str | None = None
    eyes: str | None = None
    skin: str | None = None
    build: str | None = None
    age: str | None = None
    #: distinguishing marks: scars, tattoos, glasses
    marks: str | None = None


@attrs.frozen(kw_only=True)
class Character:
    name: str
    description: str = ""
    identity: Identity = Identity()
    wardrobe: str | None = None
    props: tuple[str, ...] = ()
    #: a lasting condition shown on screen (injured arm, soaked, exhausted)
    condition: str | None = None
    #: reference portraits (identity grounding); relative to the film file
    references: tuple[Path, ...] = ()
    voice: VoiceSpec | None = None
    #: minimum identity score a rendered shot must reach (overrides settings)
    identity_threshold: float | None = None


@attrs.frozen(kw_only=True)
class Environment:
    description: str
    #: elements that are always there and must not move or change
    fixed_elements: tuple[str, ...] = ()
    #: colours as ``#rrggbb``
    palette: tuple[str, ...] = ()
    lighting: str | None = None
    time_of_day: str | None = None
    references: tuple[Path, ...] = ()


@attrs.frozen(kw_only=True)
class Style:
    #: a look preset: cinematic, ghibli, cyberpunk, realistic, storybook, flat-explainer
    preset: str | None = None
    traits: tuple[str, ...] = ()
    references: tuple[Path, ...] = ()
    negative_prompt: str | None = None


@attrs.frozen(kw_only=True)
class Camera:
    movement: str | None = None
    lens: str | None = None


@attrs.frozen(kw_only=True)
class Line:
    """A line of dialogue: spoken by ``speaker`` (a character id) on screen."""

    speaker: str
    line: str
    #: how it is said (whispering, angry); goes into the prompt and the speech request
    delivery: str | None = None


@attrs.frozen(kw_only=True)
class CharacterChange:
    """A change to a character from this shot on, for the rest of the scene."""

    wardrobe: str | None = None
    props: tuple[str, ...] | None = None
    condition: str | None = None


@attrs.frozen(kw_only=True)
class EnvironmentChange:
    """A change to the environment from this shot on, for the rest of the scene."""

    lighting: str | None = None
    time_of_day: str | None = None


@attrs.frozen(kw_only=True)
class Shot:
    id: str
    action: str
    type: ShotType | None = None
    #: a cinematography preset: establishing-wide, dramatic-close-up, intimate-dialogue, ...
    preset: str | None = None
    camera: Camera | None = None
    #: who is on screen (character ids); default: the scene's characters
    characters: tuple[str, ...] | None = None
    dialogue: tuple[Line, ...] = ()
    narration: str | None = None
    duration: Duration = AUTO
    continuity: Continuity = Continuity.AUTO
    conditioning: Conditioning = Conditioning.AUTO
    #: character id -> change that carries forward through the rest of the scene
    changes: Mapping[str, CharacterChange] = attrs.field(factory=dict, converter=_frozen)
    #: switch to another environment (a cut) for this shot and the rest of the scene
    environment: str | None = None
    environment_change: EnvironmentChange | None = None
    mood: str | None = None
    provider: str | None = None
    model: str | None = None
    seed: int | None = None
    negative_prompt: str | None = None
    #: a storyboard key frame to start from / end on (when the model takes frames)
    start_frame: Path | None = None
    end_frame: Path | None = None
    transition: Transition = Transition.CUT
    transition_s: float | None = None
    #: keep the model's own soundtrack under the speech (default: when the model makes audio)
    clip_audio: bool | None = None


@attrs.frozen(kw_only=True)
class Scene:
    id: str
    environment: str
    characters: tuple[str, ...] = ()
    mood: str | None = None
    shots: tuple[Shot, ...] = ()


@attrs.frozen(kw_only=True)
class Origin:
    """Where a film was read from: for locating problems and resolving paths (not user data)."""

    path: Path | None = None
    base_dir: Path = Path(".")
    #: ``scenes[1].shots[2].duration`` -> line number (1-based), where the format has lines
    lines: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen)
    allow_outside_refs: bool = False
    #: data path of an accepted reference in the film (``characters.a.references[0]``) ->
    #: (its data path in the file, the path as written there). Refused references are left
    #: out of the film, so the two paths can differ; messages show the path as written,
    #: never where a link resolves to
    written: Mapping[str, tuple[str, str]] = attrs.field(factory=dict, converter=_frozen)
    #: the loader found no problem with any value it kept (later checks may rely on them)
    sound: bool = True

    def locate(self, path: str) -> str:
        """``film.yaml:12: path`` for a data path (the nearest located parent's line);
        ``film.yaml:1`` for the whole document (``""``)."""
        name = self.path.name if self.path is not None else "<film>"
        if not path:  # the whole document starts on its first line unless the map says
            return f"{name}:{self.lines.get('', 1)}"
        probe = path
        while probe:
            if probe in self.lines:
                return f"{name}:{self.lines[probe]}: {path}"
            probe = _parent(probe)
        line = self.lines.get("")
        return f"{name}:{line}: {path}" if line else f"{name}: {path}"


def _parent(path: str) -> str:
    if path.endswith("]"):
        return path[: path.rfind("[")]
    return path.rsplit(".", 1)[0] if "." in path else ""


@attrs.frozen(kw_only=True)
class Film:
    title: str
    format: Format = Format()
    defaults: Defaults = Defaults()
    style: Style = Style()
    characters: Mapping[str, Character] = attrs.field(factory=dict, converter=_frozen)
    environments: Mapping[str, Environment] = attrs.field(factory=dict, converter=_frozen)
    scenes: tuple[Scene, ...] = ()
    #: filled by the loader; not part of the file format
    origin: Origin = attrs.field(factory=Origin, eq=False, repr=False, metadata={"internal": True})

    def shot_key(self, scene: Scene, shot: Shot) -> str:
        return f"{scene.id}.{shot.id}"
