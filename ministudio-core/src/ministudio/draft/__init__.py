"""From a description in plain words to a film: ``ministudio.draft(text) -> Film``.

Drafting is a plugin operation (``draft_film``); core's own drafter is the offline ``outline``
provider (:mod:`ministudio.draft.outline`); ``vertex`` (Gemini) and ``hf`` (chat models)
draft with language models. Every answer is loaded with the normal film loader and repaired
in rounds (:mod:`ministudio.draft.run`). This module stays light: everything is imported when
called.

Note: ``ministudio.draft`` is the function once ``ministudio`` is imported; import the
modules of this package with ``from ministudio.draft.outline import outline``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["draft", "draft_and_render", "draft_to_file", "write_draft"]


def draft(text: str, *, provider: str | None = None, model: str | None = None,
          hints: Mapping[str, Any] | None = None, rounds: int | None = None,
          directory: str | Path | None = None, **kwargs: Any) -> Any:
    """Draft a :class:`~ministudio.film.Film` from ``text`` (offline ``outline`` unless
    ``provider`` names a drafting provider). It loads and validates like a hand-written
    file checked in ``directory`` (default: the current folder)."""
    return _outcome(text, provider=provider, model=model, hints=hints, rounds=rounds,
                    directory=directory, **kwargs).film


def _outcome(text: str, *, rounds: int | None = None, **kwargs: Any) -> Any:
    import asyncio

    from ministudio.draft.run import DEFAULT_ROUNDS, draft_async

    return asyncio.run(draft_async(text, rounds=rounds or DEFAULT_ROUNDS, **kwargs))


def write_draft(outcome: Any, path: str | Path, *, portraits: bool = True,
                force: bool = False) -> Path:
    """Write a drafted film to ``path`` (a ``film.yaml``). With ``portraits``, characters
    without reference images get drawn placeholders in ``refs/`` next to it, so the film
    renders offline at once. Refuses to overwrite an existing file unless ``force``."""
    from ministudio.draft.portraits import draw_portrait
    from ministudio.draft.run import film_yaml
    from ministudio.errors import ConfigError

    path = Path(path)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ConfigError(f"{path.name}: a drafted film is written as YAML",
                          hint="name it film.yaml")
    if path.exists() and not force:
        raise ConfigError(f"{path} exists", hint="pass --force to overwrite it")
    data = dict(outcome.data)
    if portraits:
        chars = {}
        for cid, entry in dict(data.get("characters") or {}).items():
            entry = dict(entry)
            if not entry.get("references"):
                rel = Path("refs") / f"{cid}.png"
                target = path.parent / rel
                if not target.exists() or force:
                    long_hair = "woman" in str(entry.get("description", "")) or \
                        "(she)" in str(entry.get("description", ""))
                    draw_portrait(cid, target, long_hair=long_hair)
                entry["references"] = [rel.as_posix()]
            chars[cid] = entry
        if chars:
            data["characters"] = chars
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(film_yaml(data), encoding="utf-8")
    return path


def draft_to_file(text: str, path: str | Path, *, portraits: bool = True, force: bool = False,
                  **kwargs: Any) -> Any:
    """Draft ``text`` and write it to ``path``; returns the :class:`DraftOutcome`."""
    path = Path(path)
    outcome = _outcome(text, directory=path.parent.resolve() if path.parent.exists() else None,
                       **kwargs)
    write_draft(outcome, path, portraits=portraits, force=force)
    return outcome


def draft_and_render(text: str, directory: str | Path, *, provider: str | None = None,
                     model: str | None = None, hints: Mapping[str, Any] | None = None,
                     rounds: int | None = None, force: bool = False,
                     **render_kwargs: Any) -> Any:
    """One call from a sentence to a video: draft ``text`` into ``directory/film.yaml``
    (with placeholder portraits) and render it; returns the render's result. Keyword
    arguments besides the drafting ones go to :func:`ministudio.engine.render.render`."""
    from ministudio.engine.render import render

    path = Path(directory) / "film.yaml"
    draft_to_file(text, path, provider=provider, model=model, hints=hints, rounds=rounds,
                  force=force)
    return render(path, **render_kwargs)
