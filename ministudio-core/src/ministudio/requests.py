"""Request and result records: what core sends to a provider and what comes back.

Data flows one way: core builds a request, a hook implementation returns a result. All records
are frozen; build a changed copy with :func:`attrs.evolve`. Paths are absolute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from ministudio.capabilities import ReferenceRole

__all__ = [
    "AnchorFrame",
    "AnchorFrameRequest",
    "ClipRequest",
    "ClipResult",
    "DraftRequest",
    "DraftResult",
    "IdentityRequest",
    "IdentityScore",
    "ReferenceImage",
    "SpeechRequest",
    "SpeechResult",
    "WordTiming",
]


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _path(value: str | Path) -> Path:
    return Path(value)


def _opt_path(value: str | Path | None) -> Path | None:
    return None if value is None else Path(value)


@attrs.frozen(kw_only=True)
class ReferenceImage:
    """An image that conditions a clip: a character portrait, an environment plate, a style."""

    path: Path = attrs.field(converter=_path)
    role: ReferenceRole = attrs.field(default=ReferenceRole.SUBJECT, converter=ReferenceRole)
    #: who or what it shows (a character id, an environment id), for logs and prompts
    label: str = ""


@attrs.frozen(kw_only=True)
class ClipRequest:
    """Everything a video model needs to render one shot (or one segment of a long shot).

    ``first_frame`` / ``last_frame`` are image paths for frame conditioning (continuity);
    ``reference_images`` ground identity. ``extra`` carries provider-specific options through
    untouched (documented by each provider).
    """

    provider: str
    model: str
    prompt: str
    duration_s: float
    aspect_ratio: str = "16:9"
    resolution: str = "720p"
    fps: int = 24
    negative_prompt: str | None = None
    seed: int | None = None
    reference_images: tuple[ReferenceImage, ...] = attrs.field(default=(), converter=tuple)
    first_frame: Path | None = attrs.field(default=None, converter=_opt_path)
    last_frame: Path | None = attrs.field(default=None, converter=_opt_path)
    generate_audio: bool = False
    #: how many candidate videos to ask for (best-of-N); results beyond the first in ``alternates``
    candidates: int = 1
    shot_id: str | None = None
    #: structured direction compiled from the storyboard, for providers that compose a shot
    #: instead of (or besides) reading the prompt. Keys (all optional): ``shot_type``
    #: (wide, medium, close-up...), ``camera`` {``movement``, ``lens``}, ``action``,
    #: ``characters`` [{``id``, ``name``, ``description``, ``wardrobe``}], ``environment``
    #: {``id``, ``description``, ``palette`` [hex colours], ``lighting``, ``time_of_day``},
    #: ``mood``, ``dialogue`` [{``speaker``, ``line``}], ``narration``, ``title``.
    direction: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen(kw_only=True)
class ClipResult:
    """A rendered clip on disk, with what the provider reports about it."""

    path: Path = attrs.field(converter=_path)
    provider: str
    model: str
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool = False
    seed: int | None = None
    job_id: str | None = None
    #: what the provider says this call cost, when it knows; else core estimates from pricing
    cost: Decimal | None = None
    alternates: tuple[Path, ...] = attrs.field(default=(), converter=tuple)
    metadata: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen(kw_only=True)
class SpeechRequest:
    """Text to speak. ``rate`` is a speed factor (1.0 = normal), ``pitch`` in semitones."""

    provider: str
    text: str
    model: str | None = None
    voice: str | None = None
    language: str | None = None
    rate: float = 1.0
    pitch: float = 0.0
    #: free-text delivery instructions (tone, emotion) for engines that take them
    instructions: str | None = None
    shot_id: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen(kw_only=True)
class WordTiming:
    word: str
    start_s: float
    end_s: float


@attrs.frozen(kw_only=True)
class SpeechResult:
    """A WAV file and when each word is spoken in it.

    ``timing_source`` is ``native`` when the engine reported the times, ``estimated`` when
    they were derived (the provider documents how).
    """

    path: Path = attrs.field(converter=_path)
    provider: str
    sample_rate: int
    duration_s: float
    words: tuple[WordTiming, ...] = attrs.field(default=(), converter=tuple)
    timing_source: str = "native"
    voice: str | None = None
    model: str | None = None
    cost: Decimal | None = None


@attrs.frozen(kw_only=True)
class AnchorFrameRequest:
    """Pick the frame that the next shot should start from. ``output_dir`` receives the PNG."""

    clip: Path = attrs.field(converter=_path)
    output_dir: Path = attrs.field(converter=_path)
    #: how far from the end to look for a sharp frame
    search_window_s: float = 0.5


@attrs.frozen(kw_only=True)
class AnchorFrame:
    """A lossless still taken from a clip."""

    path: Path = attrs.field(converter=_path)
    time_s: float
    frame_index: int
    width: int
    height: int
    sharpness: float | None = None
    method: str = ""


@attrs.frozen(kw_only=True)
class IdentityRequest:
    """Score how well ``media`` (a clip or an image) matches a character's reference portraits."""

    media: Path = attrs.field(converter=_path)
    references: tuple[Path, ...] = attrs.field(converter=lambda v: tuple(Path(p) for p in v))
    character: str | None = None
    #: frames to sample from a clip (at most: a scorer may stop earlier once the verdict is
    #: clear, as the ``face`` scorer does)
    samples: int = 8
    shot_id: str | None = None
    #: the shot's other characters as ``(character id, reference portraits)``, so a scorer can
    #: assign faces to characters jointly (each face to at most one character) and never
    #: compare this character with someone else's face; empty when the shot has one character
    others: tuple[tuple[str, tuple[Path, ...]], ...] = attrs.field(
        default=(), converter=lambda v: tuple((str(c), tuple(Path(p) for p in refs))
                                              for c, refs in v))
    #: ask for an image of the face crops used (``IdentityScore.crops``), written into the
    #: call's work directory; the engine shows it in the report next to the heatmap
    crops: bool = False


@attrs.frozen(kw_only=True)
class IdentityScore:
    """Similarity in [0, 1] over the sampled frames. ``kind`` says what was measured:
    ``face`` (a face identity embedding) or ``look`` (colour/structure continuity only)."""

    score: float
    p10: float
    minimum: float
    scorer: str
    kind: str
    threshold: float
    frames_used: tuple[float, ...] = attrs.field(default=(), converter=tuple)
    faces_found: int | None = None
    note: str = ""
    #: the face used in each frame in ``frames_used``: (left, top, right, bottom) in the
    #: frame's pixels; empty for a look score
    boxes: tuple[tuple[int, int, int, int], ...] = attrs.field(
        default=(), converter=lambda v: tuple(tuple(int(x) for x in b) for b in v))
    #: when the request asked for ``crops``: a small image of the face used in each frame
    #: (the box plus a margin, labelled with time and similarity), in the call's work directory
    crops: Path | None = attrs.field(default=None, converter=_opt_path)

    @property
    def passed(self) -> bool:
        """Score at or above threshold. For a look score this says nothing about identity:
        use :attr:`identity_passed` for a gate."""
        return self.score >= self.threshold

    @property
    def identity_passed(self) -> bool | None:
        """Whether this is a face match: ``None`` when no face scorer applied (a look score)."""
        return self.passed if self.kind == "face" else None

    @classmethod
    def from_samples(
        cls,
        similarities: Sequence[float],
        *,
        scorer: str,
        kind: str,
        threshold: float,
        frames_used: Sequence[float] = (),
        faces_found: int | None = None,
        note: str = "",
        boxes: Sequence[tuple[int, int, int, int]] = (),
        crops: Path | None = None,
    ) -> IdentityScore:
        """Median / 10th percentile / minimum of per-frame similarities, rounded to 4 places."""
        import numpy as np

        arr = np.asarray(similarities, dtype=float)
        if arr.size == 0:
            raise ValueError("no similarities to summarise")
        return cls(
            score=round(float(np.median(arr)), 4),
            p10=round(float(np.percentile(arr, 10)), 4),
            minimum=round(float(arr.min()), 4),
            scorer=scorer,
            kind=kind,
            threshold=threshold,
            frames_used=tuple(round(float(t), 3) for t in frames_used),
            faces_found=faces_found,
            note=note,
            boxes=boxes,
            crops=crops,
        )


@attrs.frozen(kw_only=True)
class DraftRequest:
    """Turn a plain-words description into a film (``draft_film``).

    ``schema`` is the film JSON Schema (``docs/film.schema.json``) the answer must follow;
    ``hints`` are what the user already decided (``title``, ``aspect_ratio``, ``style``,
    ``duration_s``, ``provider``, ``speech_provider``...), to be kept as given. On a repair round
    (``round`` > 1) ``problems`` lists the located problems core's loader found in the
    ``previous`` answer (``film.yaml:12: scenes[0].shots[1].duration: expected a number``):
    the model fixes exactly those and keeps the rest.
    """

    provider: str
    text: str
    model: str | None = None
    schema: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    hints: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    round: int = 1
    problems: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    #: the previous round's answer (JSON or YAML text) when ``problems`` is not empty
    previous: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen(kw_only=True)
class DraftResult:
    """A drafted film: plain film data (a mapping) or its YAML/JSON text, as the model
    answered. Core loads it with the normal film loader; nothing here is trusted."""

    film: Mapping[str, Any] | str
    provider: str
    model: str | None = None
    #: what the drafter understood and what it left open (for ``draft --interactive``):
    #: e.g. ``{"open": ["title", "characters.mira.identity"], "assumed": {...}}``
    notes: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    #: tokens used, when the model reports them
    usage: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    cost: Decimal | None = None
