"""Drafting rounds: ask a drafting provider, load its answer with the normal film loader, and
send the located problems back for repair, a bounded number of rounds.

Nothing a drafter answers is trusted: every round's answer is parsed (a mapping, or JSON or
YAML text) and checked exactly as a hand-written ``film.yaml`` is (:func:`film_problems`, then
:func:`validate_film` against the installed providers and settings). What the user fixed
(``hints``: title, aspect ratio, style, providers) is applied over every answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from ministudio.errors import ConfigError, ProviderError
from ministudio.film.model import Film, Origin

__all__ = ["DEFAULT_PROVIDER", "DEFAULT_ROUNDS", "DraftInvalidError", "DraftOutcome",
           "apply_hints", "check_data", "draft_async", "film_yaml", "load_answer"]

DEFAULT_PROVIDER = "outline"
DEFAULT_ROUNDS = 3


class DraftInvalidError(ProviderError):
    """A drafter's answers never became a valid film within the rounds allowed.
    ``problems`` holds the last round's problems."""

    def __init__(self, message: str, *, problems: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.problems = tuple(problems)

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {p}" for p in self.problems)])


@attrs.frozen(kw_only=True)
class DraftOutcome:
    """A drafted film that loads and validates, with what it took."""

    film: Film
    #: the film data, as it is written to ``film.yaml``
    data: Mapping[str, Any]
    provider: str
    model: str | None
    rounds: int
    #: what the drafter understood and left open (``{"open": [...], "understood": {...}}``)
    notes: Mapping[str, Any] = attrs.field(factory=dict)
    #: problems of each repaired round, in order
    repaired: tuple[tuple[str, ...], ...] = ()
    #: planner warnings (e.g. characters without reference portraits)
    warnings: tuple[str, ...] = ()

    @property
    def yaml(self) -> str:
        return film_yaml(self.data)


def load_answer(answer: Mapping[str, Any] | str) -> tuple[Any, list[str]]:
    """Plain data from a drafter's answer, or the problems that stopped it being read."""
    if isinstance(answer, Mapping):
        return _plain(answer), []
    text = str(answer).strip()
    if text.startswith("```"):  # a fenced block, as chat models like to answer
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    try:
        return json.loads(text), []
    except ValueError:
        pass
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"film.yaml:{mark.line + 1}" if mark is not None else "film.yaml:1"
        return None, [f"{where}: the answer is neither JSON nor YAML: "
                      f"{getattr(exc, 'problem', None) or exc}"]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def apply_hints(data: Any, hints: Mapping[str, Any]) -> Any:
    """``data`` with what the user fixed written over it (a drafter may not change these)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    if hints.get("title"):
        out["title"] = hints["title"]
    if hints.get("aspect_ratio"):
        fmt = dict(out.get("format") or {}) if isinstance(out.get("format"), dict) else {}
        out["format"] = {**fmt, "aspect_ratio": hints["aspect_ratio"]}
    defaults = dict(out.get("defaults") or {}) if isinstance(out.get("defaults"), dict) else {}
    for key in ("provider", "speech_provider"):
        if hints.get(key):
            defaults[key] = hints[key]
    if defaults:
        out["defaults"] = defaults
    return out


def check_data(data: Any, directory: Path, manager: Any, settings: Any) -> tuple[Film | None, list[str]]:
    from ministudio.film.loader import film_problems
    from ministudio.film.validate import validate_film

    path = directory / "film.yaml"
    origin = Origin(path=path, base_dir=directory)
    if not isinstance(data, dict):
        return None, [f"film.yaml:1: expected a mapping with title, characters, environments "
                      f"and scenes, got {type(data).__name__}"]
    film, problems = film_problems(data, origin)
    if film is not None and not problems:
        problems = validate_film(film, manager, settings)
    return film, problems


async def draft_async(
    text: str,
    *,
    provider: str | None = None,
    model: str | None = None,
    hints: Mapping[str, Any] | None = None,
    rounds: int = DEFAULT_ROUNDS,
    directory: str | Path | None = None,
    manager: Any = None,
    settings: Any = None,
    transport: Any = None,
) -> DraftOutcome:
    """Draft a film from ``text`` on ``provider`` (default ``outline``, offline). The film is
    checked as if written to ``directory/film.yaml`` (references resolve there). Raises
    :class:`DraftInvalidError` when ``rounds`` answers all had problems."""
    from ministudio.compile.planner import plan_film
    from ministudio.config import load_settings
    from ministudio.dispatch import Dispatcher
    from ministudio.film.schema import film_schema
    from ministudio.plugins import PluginManager
    from ministudio.requests import DraftRequest

    if not text or not text.strip():
        raise ConfigError("nothing to draft: the description is empty",
                          hint='describe the film in a few sentences: ministudio draft "..."')
    directory = Path(directory or Path.cwd()).resolve()
    settings = settings or load_settings(project_dir=directory)
    if manager is None:
        manager = PluginManager(env=settings.env, disabled=settings.get("plugins.disabled") or ())
    hints = {k: v for k, v in dict(hints or {}).items() if v not in (None, "")}
    dispatcher = Dispatcher.from_settings(manager, settings, transport=transport)
    name = provider or DEFAULT_PROVIDER
    request = DraftRequest(provider=name, model=model, text=text.strip(), schema=film_schema(),
                           hints=hints)
    repaired: list[tuple[str, ...]] = []
    problems: list[str] = []
    result = None
    for number in range(1, max(1, rounds) + 1):
        request = attrs.evolve(request, round=number)
        result = await dispatcher.draft_film(request)
        data, problems = load_answer(result.film)
        if not problems:
            data = apply_hints(data, hints)
            film, problems = check_data(data, directory, manager, settings)
        if not problems:
            assert film is not None
            plan = plan_film(film, manager, settings)
            return DraftOutcome(film=film, data=data, provider=result.provider,
                                model=result.model, rounds=number, notes=dict(result.notes),
                                repaired=tuple(repaired), warnings=tuple(plan.warnings))
        repaired.append(tuple(problems))
        previous = result.film if isinstance(result.film, str) else json.dumps(
            _plain(result.film), indent=1, default=str)
        request = attrs.evolve(request, problems=tuple(problems), previous=previous)
    n = len(problems)
    raise DraftInvalidError(
        f"{name}: the drafted film still had {n} problem{'s' if n != 1 else ''} after "
        f"{max(1, rounds)} round{'s' if rounds != 1 else ''}",
        provider=name, model=getattr(result, "model", None), problems=tuple(problems),
        hint="allow more rounds (--rounds), describe the film more plainly, or draft offline "
        "with --provider outline and edit the file",
    )


def film_yaml(data: Mapping[str, Any]) -> str:
    """The film data as a readable ``film.yaml`` (keys in the format's order)."""
    head = ("# Drafted by `ministudio draft`. Check it with `ministudio validate film.yaml`,\n"
            "# see what rendering would do with `ministudio plan film.yaml`. Format: "
            "docs/film-format.md\n")
    order = ("title", "format", "defaults", "style", "characters", "environments", "scenes")
    plain = _plain(data)
    ordered = {k: plain[k] for k in order if k in plain} | {
        k: v for k, v in plain.items() if k not in order}
    return head + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=96)
