"""What a provider declares about itself: operations, models, capabilities, pricing, auth.

Plugins return :class:`ProviderSpec` records from their ``register_providers`` hook. Everything
here is plain data (frozen attrs records) so that core can list providers, check a request
against a model (:mod:`ministudio.capcheck`) and estimate cost without calling the provider.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "CORE_SETTINGS",
    "JOB_SETTINGS",
    "AuthSpec",
    "ClipModel",
    "DraftModel",
    "Operation",
    "PriceRule",
    "Pricing",
    "ProviderSpec",
    "ReferenceRole",
    "ScorerInfo",
    "Setting",
    "SpeechModel",
    "Voice",
    "frame_size",
]

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


class Operation(enum.StrEnum):
    """The operations a provider can offer, one per hookspec."""

    CLIP = "clip"
    SPEECH = "speech"
    ANCHOR_FRAME = "anchor-frame"
    IDENTITY = "identity"
    #: turn a plain-words description into a film (``draft_film``; optional for plugins)
    DRAFT = "draft"


class ReferenceRole(enum.StrEnum):
    """How a reference image conditions a clip."""

    SUBJECT = "subject"  #: a character or object that must appear (Veo "asset")
    STYLE = "style"  #: the look to copy
    ENVIRONMENT = "environment"  #: the place the shot happens in


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be > 0, got {value!r}")


@attrs.frozen(kw_only=True)
class PriceRule:
    """A price for the requests that match every condition set here (``None`` = any).

    ``resolution`` matches the request's resolution name (``"1080p"``); ``audio`` whether the
    clip is generated with sound (``ClipRequest.generate_audio``). The prices set here replace
    the base price's; those left ``None`` keep it.
    """

    resolution: str | None = None
    audio: bool | None = None
    per_second: Decimal | None = None
    per_request: Decimal | None = None
    per_million_chars: Decimal | None = None

    def matches(self, *, resolution: str | None, audio: bool | None) -> bool:
        return (self.resolution is None or (resolution or "").lower() == self.resolution.lower()) \
            and (self.audio is None or audio is None or bool(audio) == self.audio)

    @property
    def specificity(self) -> int:
        return (self.resolution is not None) + (self.audio is not None)


@attrs.frozen(kw_only=True)
class Pricing:
    """What a model costs, with where the number came from and when it was read.

    Set exactly what applies: ``per_second`` of output (video, audio), ``per_request``, or
    ``per_million_chars`` of input text (speech). When the price depends on the request
    (Kling 720p and 1080p; Veo with or without audio), list ``rules``: the most specific
    :class:`PriceRule` matching a request replaces the base price for it
    (:meth:`for_request`, :meth:`estimate_request`). Users override prices in their settings
    (``[pricing.PROVIDER.MODEL]``) when a price changes before the plugin does.
    """

    per_second: Decimal | None = None
    per_request: Decimal | None = None
    per_million_chars: Decimal | None = None
    currency: str = "USD"
    as_of: date | None = None
    source: str = ""
    rules: tuple[PriceRule, ...] = ()

    def estimate(self, *, seconds: float = 0.0, chars: int = 0, requests: int = 1) -> Decimal:
        """Cost at the base price (rules are not applied; see :meth:`estimate_request`)."""
        total = Decimal(0)
        if self.per_second is not None:
            total += self.per_second * Decimal(str(round(seconds, 3)))
        if self.per_request is not None:
            total += self.per_request * requests
        if self.per_million_chars is not None:
            total += self.per_million_chars * Decimal(chars) / Decimal(1_000_000)
        return total

    def for_request(self, *, resolution: str | None = None, audio: bool | None = None) -> Pricing:
        """The price that applies to a request with this resolution and audio (rules folded in)."""
        matching = [r for r in self.rules if r.matches(resolution=resolution, audio=audio)]
        if not matching:
            return attrs.evolve(self, rules=())
        best = max(matching, key=lambda r: r.specificity)  # first of the most specific
        prices = {k: getattr(best, k) for k in ("per_second", "per_request", "per_million_chars")
                  if getattr(best, k) is not None}
        return attrs.evolve(self, rules=(), **prices)

    def estimate_request(self, request: Any) -> Decimal:
        """Cost of one request: a ``ClipRequest`` (its duration, resolution and audio) or a
        ``SpeechRequest`` (its characters; its seconds are not known before it is spoken)."""
        if hasattr(request, "duration_s"):
            price = self.for_request(resolution=getattr(request, "resolution", None),
                                     audio=getattr(request, "generate_audio", None))
            return price.estimate(seconds=float(request.duration_s))
        return self.for_request().estimate(chars=len(getattr(request, "text", "") or ""))


@attrs.frozen(kw_only=True)
class AuthSpec:
    """Where a provider's credentials come from. Only names are declared, never values.

    ``env_vars`` are read from the environment (and a project ``.env`` file). Unless
    ``optional`` is set, **every** listed variable is required: a Kling plugin that needs an
    access key and a secret key lists both (``env_vars=("KLING_ACCESS_KEY",
    "KLING_SECRET_KEY")``). ``optional=True`` means the provider also works without any of
    them (e.g. Application Default Credentials found by the SDK); the variables are then
    alternatives, and ``description`` says which one to set and where to read how
    (``providers show`` prints it). Core only reports whether each variable is set; the
    plugin reads them (``context.secret(...)``) and raises ``AuthenticationError``.
    """

    env_vars: tuple[str, ...] = ()
    description: str = ""
    optional: bool = False

    def missing(self, env: Mapping[str, str]) -> tuple[str, ...]:
        """The required variables not set in ``env`` (always ``()`` for an optional spec)."""
        if self.optional:
            return ()
        return tuple(v for v in self.env_vars if not env.get(v))


@attrs.frozen(kw_only=True)
class ClipModel:
    """Capabilities of one video model. Core checks every request against these before I/O.

    Durations: either ``durations`` (the discrete values the model accepts, e.g. ``(4, 6, 8)``)
    or a ``min_duration_s``..``max_duration_s`` range. Empty tuples for ``aspect_ratios``,
    ``resolutions`` or ``fps`` mean "any".
    """

    id: str
    description: str = ""
    durations: tuple[float, ...] = ()
    #: when non-empty: the only durations accepted while reference images are sent
    reference_durations: tuple[float, ...] = ()
    #: ``((resolution, durations), ...)``: resolutions that accept only some durations
    resolution_durations: tuple[tuple[str, tuple[float, ...]], ...] = ()
    min_duration_s: float = 0.5
    max_duration_s: float = 8.0
    aspect_ratios: tuple[str, ...] = ("16:9",)
    resolutions: tuple[str, ...] = ("720p",)
    fps: tuple[int, ...] = (24,)
    max_reference_images: int = 0
    reference_roles: tuple[ReferenceRole, ...] = ()
    #: whether reference images can be sent together with a first/last frame
    references_with_frames: bool = False
    first_frame: bool = False
    last_frame: bool = False
    native_audio: bool = False
    seed: bool = True
    negative_prompt: bool = True
    max_prompt_chars: int | None = None
    #: seconds one "extend" step adds (scene extension), when the model can extend a clip
    extension_s: float | None = None
    max_candidates: int = 1
    max_concurrency: int | None = attrs.field(default=None, validator=_positive)
    requests_per_minute: int | None = attrs.field(default=None, validator=_positive)
    #: a crashed render can re-attach to a submitted job by its id
    resumable: bool = False
    pricing: Pricing | None = None
    notes: str = ""

    def allowed_durations(
        self, *, resolution: str | None = None, references: bool = False
    ) -> tuple[float, ...]:
        """The discrete durations for a request with this resolution and (no) references,
        or ``()`` when any value in the range is accepted."""
        allowed = self.durations
        for rule in (
            self.reference_durations if references else (),
            dict(self.resolution_durations).get(resolution or "", ()),
        ):
            if rule:
                allowed = tuple(d for d in (allowed or rule) if d in rule)
        return allowed

    def for_request(self, *, resolution: str | None = None, references: bool = False) -> ClipModel:
        """This model with ``durations`` narrowed to what such a request may ask for."""
        allowed = self.allowed_durations(resolution=resolution, references=references)
        return self if allowed == self.durations else attrs.evolve(self, durations=allowed)

    @property
    def longest(self) -> float:
        return max(self.durations) if self.durations else self.max_duration_s


@attrs.frozen(kw_only=True)
class Voice:
    id: str
    language: str = "en-US"
    gender: str | None = None
    description: str = ""


@attrs.frozen(kw_only=True)
class SpeechModel:
    """Capabilities of one speech model: its voices, languages and how it times words."""

    id: str
    description: str = ""
    voices: tuple[Voice, ...] = ()
    languages: tuple[str, ...] = ()
    #: ``native`` when the engine reports word times, ``estimated`` when core must guess them
    word_timings: str = "native"
    instructions: bool = False
    max_chars: int | None = None
    #: semitones the model can shift a voice, ``(low, high)``; ``None``: it cannot
    pitch_range: tuple[float, float] | None = None
    #: speed factors the model accepts (1.0 = normal)
    rate_range: tuple[float, float] = (0.25, 4.0)
    sample_rate: int = 22050
    max_concurrency: int | None = attrs.field(default=None, validator=_positive)
    requests_per_minute: int | None = attrs.field(default=None, validator=_positive)
    pricing: Pricing | None = None
    notes: str = ""


@attrs.frozen(kw_only=True)
class DraftModel:
    """Capabilities of one drafting model (``draft_film``): a language model, or core's
    offline outliner, that turns a description into film data."""

    id: str
    description: str = ""
    #: the model answers in JSON constrained by the film JSON Schema (structured output)
    structured_output: bool = True
    #: deterministic: the same text always gives the same film
    deterministic: bool = False
    #: the longest description it accepts, in characters
    max_input_chars: int | None = None
    max_concurrency: int | None = attrs.field(default=None, validator=_positive)
    pricing: Pricing | None = None
    notes: str = ""


@attrs.frozen(kw_only=True)
class ScorerInfo:
    """What an identity scorer measures. ``kind`` is ``face`` for a real face identity score,
    ``look`` for a colour/structure continuity score that says nothing about who it is."""

    kind: str
    threshold: float
    description: str = ""


_SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
    "list": (list, tuple), "table": (dict, Mapping), "any": (object,),
}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
               "list": "a list", "table": "a table", "any": "a value"}


@attrs.frozen(kw_only=True)
class Setting:
    """One key a provider reads from its ``[providers.NAME]`` settings table.

    ``type`` is one of ``str``, ``int``, ``float`` (ints accepted), ``bool``, ``list``,
    ``table`` or ``any``. ``default`` is what the provider uses when the key is not set
    (documentation: core passes only what the user set). ``choices``, when given, are the only
    values accepted.
    """

    name: str
    type: str = attrs.field(default="str")
    default: Any = None
    description: str = ""
    choices: tuple[Any, ...] = ()

    @type.validator
    def _check_type(self, _attribute: object, value: str) -> None:
        if value not in _SETTING_TYPES:
            raise ValueError(f"setting {self.name!r}: type {value!r} is not one of "
                             + ", ".join(_SETTING_TYPES))

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this setting, or ``None``."""
        kinds = _SETTING_TYPES[self.type]
        if not isinstance(value, kinds) or (self.type in ("int", "float")
                                            and isinstance(value, bool)):
            return f"expected {_TYPE_WORDS[self.type]}, got {value!r}"
        if self.choices and value not in self.choices:
            return f"{value!r} is not one of " + ", ".join(repr(c) for c in self.choices)
        return None


#: keys core itself reads from every ``[providers.NAME]`` table (see ``ministudio.dispatch``)
CORE_SETTINGS: tuple[Setting, ...] = (
    Setting(name="timeout_s", type="float",
            description="core's limit for one whole call (clip 1800 s, speech 300 s)"),
    Setting(name="http_timeout_s", type="float", default=60.0,
            description="limit for one HTTP request"),
)

#: the polling keys :class:`ministudio.jobs.JobPolicy` reads; a provider built on the job kit
#: declares ``settings=(*JOB_SETTINGS, ...its own...)``
JOB_SETTINGS: tuple[Setting, ...] = (
    Setting(name="poll_initial_s", type="float", default=2.0, description="first wait"),
    Setting(name="poll_factor", type="float", default=1.5, description="each wait grows by"),
    Setting(name="poll_max_s", type="float", default=20.0, description="longest wait"),
    Setting(name="poll_deadline_s", type="float", default=1800.0,
            description="how long one call waits for a job"),
    Setting(name="max_poll_errors", type="int", default=8,
            description="transient poll errors in a row before giving up the wait"),
    Setting(name="fetch_attempts", type="int", default=3, description="download attempts"),
    Setting(name="fetch_backoff_s", type="float", default=1.0,
            description="first wait between downloads (doubling)"),
)


@attrs.frozen(kw_only=True)
class ProviderSpec:
    """One provider a plugin offers. Returned (or yielded) from ``register_providers``.

    ``name`` is what users write in films and on the command line: lowercase letters,
    digits and ``-_.``. ``plugin`` is filled in by core with the entry point it came from.
    """

    name: str = attrs.field()
    operations: frozenset[Operation] = attrs.field(converter=frozenset)
    description: str = ""
    clip_models: tuple[ClipModel, ...] = ()
    speech_models: tuple[SpeechModel, ...] = ()
    draft_models: tuple[DraftModel, ...] = ()
    scorer: ScorerInfo | None = None
    #: the clip model used when a film names none (else the first of ``clip_models``)
    default_model: str | None = None
    #: the speech model used when a film names none (else the first of ``speech_models``)
    default_speech_model: str | None = None
    auth: AuthSpec = AuthSpec()
    docs_url: str | None = None
    #: the keys of ``[providers.NAME]`` this provider reads; core checks the user's table
    #: against them before any work (an unknown key or a wrong type is a located error).
    #: ``None``: not declared, nothing is checked; ``()``: the provider takes no settings.
    settings: tuple[Setting, ...] | None = None
    #: filled in by core: the plugin (entry point) name that registered this spec
    plugin: str | None = None

    @name.validator
    def _check_name(self, _attribute: object, value: str) -> None:
        if not value or not set(value) <= _NAME_CHARS or not value[0].isalnum():
            raise ValueError(
                f"provider name {value!r} must be lowercase letters, digits and '-_.'"
            )

    @operations.validator
    def _check_ops(self, _attribute: object, value: frozenset[Operation]) -> None:
        if not value:
            raise ValueError(f"provider {self.name!r} declares no operations")
        if Operation.CLIP in value and not self.clip_models:
            raise ValueError(f"provider {self.name!r} offers clips but declares no clip_models")
        if Operation.SPEECH in value and not self.speech_models:
            raise ValueError(
                f"provider {self.name!r} offers speech but declares no speech_models"
            )
        if Operation.DRAFT in value and not self.draft_models:
            raise ValueError(f"provider {self.name!r} offers drafting but declares no draft_models")

    def declared_settings(self) -> tuple[Setting, ...] | None:
        """The provider's declared settings plus the ones core reads for every provider
        (:data:`CORE_SETTINGS`), or ``None`` when the provider declares none."""
        if self.settings is None:
            return None
        own = {s.name for s in self.settings}
        return (*self.settings, *(s for s in CORE_SETTINGS if s.name not in own))

    def setting_problems(self, table: Mapping[str, Any]) -> list[tuple[str, str]]:
        """``(key, why)`` for every key of a ``[providers.NAME]`` table that this provider does
        not declare or whose value it cannot take (``[]`` when ``settings`` is undeclared)."""
        declared = self.declared_settings()
        if declared is None:
            return []
        known = {s.name: s for s in declared}
        out = []
        for key, value in table.items():
            decl = known.get(key)
            if decl is None:
                import difflib  # only for a typo's suggestion

                near = difflib.get_close_matches(key, list(known), n=1)
                out.append((key, f"not a setting of {self.name}; did you mean '{near[0]}'?"
                            if near else f"not a setting of {self.name} (known: "
                            f"{', '.join(sorted(known))})"))
            elif (why := decl.problem(value)) is not None:
                out.append((key, why))
        return out

    def clip_model(self, model: str | None) -> ClipModel:
        """The named clip model, or the default one. Raises ``KeyError`` with the choices."""
        return _pick(self.clip_models, model or self.default_model, self.name)

    def speech_model(self, model: str | None) -> SpeechModel:
        return _pick(self.speech_models, model or self.default_speech_model, self.name)

    def draft_model(self, model: str | None) -> DraftModel:
        """The named drafting model, or the first one."""
        return _pick(self.draft_models, model, self.name)


def _pick(models, wanted, name):  # type: ignore[no-untyped-def]
    if not models:
        raise KeyError(f"provider {name!r} declares no models of that kind")
    if wanted is None:
        return models[0]
    for m in models:
        if m.id == wanted:
            return m
    raise KeyError(
        f"provider {name!r} has no model {wanted!r}; choose one of: "
        + ", ".join(m.id for m in models)
    )


_RES_HEIGHT = {"360p": 360, "480p": 480, "540p": 540, "720p": 720, "1080p": 1080, "2160p": 2160, "4k": 2160}


def frame_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """Pixel size for an aspect ratio and a resolution name: ``("9:16", "720p") -> (720, 1280)``.

    The resolution names the short side. Sizes are rounded to even numbers (H.264 needs them).
    ``WIDTHxHEIGHT`` is accepted too.
    """
    if "x" in resolution:
        w, h = (int(v) for v in resolution.lower().split("x", 1))
        return w, h
    short = _RES_HEIGHT.get(resolution.lower())
    if short is None:
        raise ValueError(f"unknown resolution {resolution!r}; use e.g. 720p, 1080p or 1280x720")
    a, b = (float(v) for v in aspect_ratio.split(":", 1))
    long_side = short * max(a, b) / min(a, b)
    width, height = (long_side, short) if a >= b else (short, long_side)
    return int(round(width / 2)) * 2, int(round(height / 2)) * 2
