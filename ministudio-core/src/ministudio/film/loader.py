"""Read a film file (YAML, TOML or JSON) into a :class:`~ministudio.film.model.Film`.

Every problem is collected, not just the first: the records are structured through the one
cattrs converter with strict scalar hooks (``1`` is not text, ``"5"`` is not a number, an
unquoted ``16:9`` is not an aspect ratio) and unknown keys refused; offending keys are then
dropped and structuring is retried, so later mistakes are found in the same run. Each problem
is one line, ``film.yaml:12: scenes[1].shots[2].duration: expected a number or 'auto'``.
"""

from __future__ import annotations

import difflib
import enum
import json
import math
import re
import stat
import tomllib
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
from cattrs.errors import IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ministudio.capabilities import frame_size
from ministudio.converter import converter
from ministudio.errors import ConfigError
from ministudio.film import model as m
from ministudio.film.bounds import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    BoundedYamlLoader,
    LimitError,
    bounded_copy,
    deep_line,
)
from ministudio.film.presets import CINEMATOGRAPHY_PRESETS, STYLE_PRESETS

__all__ = ["SUFFIXES", "film_problems", "load_film", "parse_film_data", "read_film"]

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".json": "json"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_RATIO = re.compile(r"^\d+(\.\d+)?:\d+(\.\d+)?$")
_MAX_ROUNDS = 12
#: problems listed for one file; the rest are counted
MAX_PROBLEMS = 100


# -- strict structuring -------------------------------------------------------------------------


class Expected(ValueError):
    """A value of the wrong type or shape; the message says what was expected."""


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value; quote it if you meant text)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"text {value[:40]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: ``http://``, ``file://``, ``s3://`` ... and ``data:`` URIs
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|data:)")
#: characters in a reference path, and in one of its parts (most file systems allow 255)
MAX_PATH_CHARS = 1024
MAX_NAME_CHARS = 255


def _str(v: Any) -> str:
    if isinstance(v, str):
        bad = _CONTROL.search(v)
        if bad:
            what = "a NUL character" if bad.group() == "\x00" else f"a control character {bad.group()!r}"
            raise Expected(f"text contains {what} at position {bad.start()}")
        return v
    raise Expected(f"expected text, got {_describe(v)}")


def _int(v: Any) -> int:
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise Expected(f"expected a whole number, got {_describe(v)}")


def _finite(v: int | float) -> float:
    try:
        f = float(v)
    except OverflowError:
        raise Expected(f"expected a number of sensible size, got one with {len(str(v))} digits") from None
    if not math.isfinite(f):
        raise Expected(f"expected a finite number, got {v!r}")
    return f


def _float(v: Any) -> float:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return _finite(v)
    raise Expected(f"expected a number, got {_describe(v)}")


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise Expected(f"expected true or false, got {_describe(v)}")


def _path(v: Any) -> Path:
    if not (isinstance(v, str) and v.strip()):
        raise Expected(f"expected a file path, got {_describe(v)}")
    if "\x00" in v:
        raise Expected("a path cannot contain a NUL character")
    if _URL.match(v):
        raise Expected(f"{v[:60]!r} is a URL, and URLs are not references: save the file in "
                       "the film's folder and write its path")
    if len(v) > MAX_PATH_CHARS:
        raise Expected(f"a path of {len(v)} characters is too long (at most {MAX_PATH_CHARS})")
    longest = max(re.split(r"[\\/]", v), key=len)
    if len(longest) > MAX_NAME_CHARS:
        raise Expected(f"a path part of {len(longest)} characters is too long "
                       f"(at most {MAX_NAME_CHARS})")
    _str(v)
    return Path(v)


def _duration(v: Any) -> float | str:
    if isinstance(v, str) and v.strip().lower() == m.AUTO:
        return m.AUTO
    if isinstance(v, int | float) and not isinstance(v, bool):
        return _finite(v)
    raise Expected(f"expected a number or 'auto', got {_describe(v)}")


def _note(exc: Exception, index: Any, type_: Any) -> Exception:
    exc.__notes__ = [  # type: ignore[attr-defined]
        *getattr(exc, "__notes__", []),
        IterableValidationNote(f"Structuring {type_} @ index {index!r}", index, type_),
    ]
    return exc


def _hook_for(tp: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is str:
        return _str
    if tp is int:
        return _int
    if tp is float:
        return _float
    if tp is bool:
        return _bool
    if tp is Path:
        return _path
    if tp == m.Duration:
        return _duration
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        choices = [e.value for e in tp]

        def _enum(v: Any) -> Any:
            for e in tp:
                if v == e.value:
                    return e
            raise Expected(f"expected one of {', '.join(choices)}, got {_describe(v)}")

        return _enum
    if origin in (typing.Union, __import__("types").UnionType) and type(None) in args:
        inner = _hook_for(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        item = _hook_for(args[0])

        def _tuple(v: Any) -> tuple[Any, ...]:
            if not isinstance(v, list | tuple):
                raise Expected(f"expected a list, got {_describe(v)}")
            out, errors = [], []
            for i, x in enumerate(v):
                try:
                    out.append(item(x))
                except Exception as exc:  # noqa: BLE001 - collected and re-raised as a group
                    errors.append(_note(exc, i, args[0]))
            if errors:
                raise cattrs.IterableValidationError("invalid list items", errors, tp)
            return tuple(out)

        return _tuple
    if origin in (Mapping, dict, typing.Mapping) or origin is __import__("collections.abc", fromlist=["Mapping"]).Mapping:
        value_hook = _hook_for(args[1])

        def _mapping(v: Any) -> dict[str, Any]:
            if not isinstance(v, dict):
                raise Expected(f"expected a mapping of id: settings, got {_describe(v)}")
            out, errors = {}, []
            for k, x in v.items():
                if not isinstance(k, str):
                    errors.append(_note(Expected(f"ids must be text, got {_describe(k)}"), k, tp))
                    continue
                try:
                    out[k] = value_hook(x)
                except Exception as exc:  # noqa: BLE001
                    errors.append(_note(exc, k, args[1]))
            if errors:
                raise cattrs.IterableValidationError("invalid mapping values", errors, tp)
            return out

        return _mapping
    if attrs.has(tp):

        def _record(v: Any) -> Any:
            if not isinstance(v, dict):
                raise Expected(f"expected a mapping of settings, got {_describe(v)}")
            return converter.structure(v, tp)

        return _record
    raise TypeError(f"no strict hook for {tp!r}")  # a model field of an unsupported type


RECORDS: tuple[type, ...] = (
    m.Format, m.VoiceSpec, m.Defaults, m.Identity, m.Character, m.Environment, m.Style,
    m.Camera, m.Line, m.CharacterChange, m.EnvironmentChange, m.Shot, m.Scene, m.Origin, m.Film,
)


def _register() -> None:
    for cls in RECORDS:
        attrs.resolve_types(cls)
    for cls in RECORDS:
        overrides = {
            f.name: override(struct_hook=(lambda h: lambda v, _t: h(v))(_hook_for(f.type)))
            for f in attrs.fields(cls)
            if not f.metadata.get("internal")
        }
        if cls is m.Origin:
            continue
        hook = make_dict_structure_fn(
            cls, converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True,
            **overrides,
        )
        converter.register_structure_hook(cls, hook)


_register()


# -- problems from a structuring error ----------------------------------------------------------


@attrs.frozen
class _Problem:
    path: tuple[Any, ...]
    message: str
    #: the key at ``path`` exists in the data and dropping it may let structuring go on
    droppable: bool


def _fmt_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not text.isprintable():  # a key with control characters: show it escaped
                text = repr(text)
            out += ("." if out else "") + text
    return out


def _field_names(cls: type) -> list[str]:
    return [f.name for f in attrs.fields(cls) if not f.metadata.get("internal")]


def _walk(exc: BaseException, path: tuple[Any, ...], cls: Any) -> Iterator[_Problem]:
    if isinstance(exc, cattrs.BaseValidationError):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, IterableValidationNote):
                yield from _walk(sub, (*path, note.index), note.type)
            else:
                sub_cls = None
                if attrs.has(cls):
                    field = attrs.fields_dict(cls).get(note.name)
                    sub_cls = field.type if field is not None else None
                yield from _walk(sub, (*path, note.name), sub_cls)
        for sub in without:
            yield from _walk(sub, path, cls)
        return
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        known = _field_names(exc.cl)
        for key in sorted(exc.extra_fields, key=str):
            if not isinstance(key, str):
                yield _Problem((*path, key), f"a key must be text, got {_describe(key)}", True)
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            yield _Problem((*path, key), f"unknown key{hint}", True)
        return
    if isinstance(exc, KeyError):
        yield _Problem(path, "required, but missing", False)
        return
    message = str(exc) if isinstance(exc, Expected) else f"invalid: {exc}"
    if path and path[-1] == "aspect_ratio" and isinstance(exc, Expected):
        message += " (write it in quotes, e.g. \"16:9\": YAML reads 16:9 unquoted as a number)"
    yield _Problem(path, message, True)


def _drop(data: Any, path: tuple[Any, ...]) -> bool:
    """Remove the value at ``path`` so structuring can go on. A bad item of a list of plain
    values (reference paths, traits) removes the whole list, so that the indices of what is
    kept still match the file; a bad item of a list of records stops recovery there."""
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(node, dict) and path and path[-1] in node:
        del node[path[-1]]
        return True
    if (isinstance(node, list) and len(path) > 1 and isinstance(path[-1], int)
            and not any(isinstance(x, dict | list) for x in node)):
        return _drop(data, path[:-1])
    return False


# -- reading files ------------------------------------------------------------------------------


def _yaml_lines(text: str, name: str) -> tuple[Any, dict[str, int], list[str]]:
    import yaml

    problems: list[str] = []
    loader = None
    try:
        loader = BoundedYamlLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None, {}, []
        problems += [f"{name}:{line}: {what}" for line, what in loader.key_problems]
        lines: dict[str, int] = {"": node.start_mark.line + 1}

        def walk(n: Any, path: tuple[Any, ...]) -> None:
            if isinstance(n, yaml.MappingNode):
                seen: set[Any] = set()
                for k, v in n.value:
                    key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark)
                    sub = (*path, key)
                    if key in seen:
                        problems.append(
                            f"{name}:{k.start_mark.line + 1}: {_fmt_path(sub)}: "
                            "written twice (the second value would silently win)"
                        )
                    seen.add(key)
                    lines[_fmt_path(sub)] = k.start_mark.line + 1
                    walk(v, sub)
            elif isinstance(n, yaml.SequenceNode):
                for i, item in enumerate(n.value):
                    sub = (*path, i)
                    lines[_fmt_path(sub)] = item.start_mark.line + 1
                    walk(item, sub)

        walk(node, ())  # bounded: the loader refused deep, huge and recursive documents
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        what = getattr(exc, "problem", None) or " ".join(str(exc).split())
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
            line = text.count("\n", 0, max(0, exc.position)) + 1
            char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
            where, what = f"{name}:{line}", f"the character U+{char:04X} is not allowed in YAML"
        elif isinstance(exc, yaml.composer.ComposerError) and exc.context and exc.context_mark:
            what = f"{exc.context.split(';')[0]} (first at line {exc.context_mark.line + 1})"
        if what.startswith("exceeded maximum nesting depth"):  # libyaml's own, deeper limit
            what = f"nested deeper than {MAX_DEPTH} levels"
        title = "beyond what a film file may hold" if isinstance(exc, LimitError) else "not valid YAML"
        raise ConfigError(f"{name}: {title}", problems=[f"{where}: {what}"]) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines, problems


_TOML_AT = re.compile(r"^(.*?)\s*\(at line (\d+), column \d+\)$")


def _too_deep(text: str, name: str, kind: str) -> ConfigError:
    line = deep_line(text)
    where = f"{name}:{line}" if line else name
    return ConfigError(f"{name}: not valid {kind}",
                       problems=[f"{where}: nested deeper than {MAX_DEPTH} levels"])


def parse_film_data(text: str, kind: str, name: str = "film") -> tuple[Any, dict[str, int], list[str]]:
    """Parse file text into plain data, a line map (data path -> line) and syntax problems.

    Raises :class:`ConfigError` (one located line) for text that is not the format, or that
    breaks the limits in :mod:`ministudio.film.bounds`."""
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError(f"{name}: too large", problems=[
            f"{name}:1: {len(text)} characters; a film file may have at most {MAX_FILE_BYTES}"])
    if kind == "yaml":
        return _yaml_lines(text, name)
    if kind == "toml":
        try:
            return tomllib.loads(text), {}, []
        except tomllib.TOMLDecodeError as exc:
            found = _TOML_AT.match(str(exc))
            where, what = (f"{name}:{found[2]}", found[1]) if found else (name, str(exc))
            raise ConfigError(f"{name}: not valid TOML", problems=[f"{where}: {what}"]) from exc
        except RecursionError:
            raise _too_deep(text, name, "TOML") from None
    if kind == "json":
        try:
            return json.loads(text), {}, []
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{name}: not valid JSON", problems=[f"{name}:{exc.lineno}: {exc.msg}"]
            ) from exc
        except RecursionError:
            raise _too_deep(text, name, "JSON") from None
    raise ConfigError(f"{name}: unknown film format {kind!r} (use .yaml, .toml or .json)")


def _structure(data: Any, origin: m.Origin) -> tuple[m.Film | None, list[str]]:
    """Structure with recovery: report, drop the offending keys, retry."""
    if not isinstance(data, dict):
        return None, [f"{origin.locate('')}: expected a mapping with title, scenes, ... at the top"]
    import copy

    work = copy.deepcopy(data)
    seen: dict[tuple[Any, ...], str] = {}
    problems: list[str] = []
    for _ in range(_MAX_ROUNDS):
        try:
            film = converter.structure(work, m.Film)
            return film, problems
        except (cattrs.BaseValidationError, Expected) as exc:
            found = list(_walk(exc, (), m.Film))
        progress = False
        for p in found:
            if p.path in seen:
                continue
            seen[p.path] = p.message
            problems.append(f"{origin.locate(_fmt_path(p.path))}: {p.message}")
            if p.droppable and _drop(work, p.path):
                progress = True
        if not progress:
            break
    return None, problems


# -- meaning: ids, cross references, values, paths ----------------------------------------------


def _resolve(raw: Path, where: str, origin: m.Origin, problems: list[str]) -> Path | None:
    """The absolute path of a reference, or None when it is refused (outside the folder,
    unresolvable). Nothing is opened; messages show the path as written."""
    base = origin.base_dir.resolve()
    try:
        full = (base / raw.expanduser()).resolve() if not raw.is_absolute() else raw.resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a path too long
        reason = "a symbolic link loop" if isinstance(exc, RuntimeError) else (
            getattr(exc, "strerror", None) or str(exc))
        problems.append(f"{origin.locate(where)}: {raw} cannot be resolved ({reason})")
        return None
    if not origin.allow_outside_refs and not full.is_relative_to(base):
        problems.append(
            f"{origin.locate(where)}: {raw} is outside the film's folder; move it in, or allow "
            "it explicitly (--allow-outside-refs)"
        )
        return None
    return full


#: seeds every provider accepts (unsigned 32-bit: Veo's range, and what SQLite can store)
SEED_MAX = 2**32 - 1
#: the largest frame side a film may ask for
MAX_FRAME_SIDE = 8192


def _check(film: m.Film) -> tuple[m.Film, list[str]]:
    o = film.origin
    problems: list[str] = []
    written: dict[str, tuple[str, str]] = {}
    unsound: list[str] = []

    def bad(path: str, message: str) -> None:
        unsound.append(path)
        problems.append(f"{o.locate(path)}: {message}")

    def check_id(path: str, value: str) -> None:
        if not _ID.match(value):
            bad(path, f"id {value!r} must be letters, digits, '-' or '_' (no spaces or dots)")

    def refs(paths: tuple[Path, ...], where: str) -> tuple[Path, ...]:
        """The accepted references; ``written`` maps each kept one's data path to its place in
        the file and its text as written."""
        kept: list[Path] = []
        for i, raw in enumerate(paths):
            full = _resolve(raw, f"{where}[{i}]", o, problems)
            if full is not None:
                written[f"{where}[{len(kept)}]"] = (f"{where}[{i}]", str(raw))
                kept.append(full)
        return tuple(kept)

    def check_seed(path: str, seed: int | None) -> None:
        if seed is not None and not 0 <= seed <= SEED_MAX:
            bad(path, f"expected a whole number from 0 to {SEED_MAX} (the range every "
                f"provider accepts), got {seed}")

    if not film.title.strip():
        bad("title", "must not be empty")
    fmt = film.format
    if not _RATIO.match(fmt.aspect_ratio) or 0 in (float(x) for x in fmt.aspect_ratio.split(":")):
        bad("format.aspect_ratio", f"expected a ratio of two positive numbers like \"16:9\", "
            f"got {fmt.aspect_ratio[:40]!r}")
    else:
        try:
            w, h = frame_size(fmt.aspect_ratio, fmt.resolution)
        except (ValueError, OverflowError) as exc:
            bad("format.resolution", str(exc)[:200])
        else:
            if not (16 <= w <= MAX_FRAME_SIDE and 16 <= h <= MAX_FRAME_SIDE):
                bad("format.resolution", f"{fmt.aspect_ratio} at {fmt.resolution[:40]} is a "
                    f"{w}x{h} frame; each side must be 16 to {MAX_FRAME_SIDE} pixels")
    if not 1 <= fmt.fps <= 120:
        bad("format.fps", f"expected 1 to 120, got {fmt.fps}")
    check_seed("defaults.seed", film.defaults.seed)

    def check_voice(v: m.VoiceSpec | None, where: str) -> None:
        if v is not None and not 0.25 <= v.rate <= 4.0:
            bad(f"{where}.rate", f"expected 0.25 to 4.0, got {v.rate:g}")
        if v is not None and not -24 <= v.pitch <= 24:
            bad(f"{where}.pitch", f"expected -24 to 24 semitones, got {v.pitch:g}")

    check_voice(film.defaults.narrator, "defaults.narrator")
    style = film.style
    if style.preset is not None and style.preset not in STYLE_PRESETS:
        bad("style.preset", f"unknown preset {style.preset!r} (known: {', '.join(STYLE_PRESETS)})")
    style = attrs.evolve(style, references=refs(style.references, "style.references"))

    characters: dict[str, m.Character] = {}
    for cid, ch in film.characters.items():
        where = f"characters.{cid}"
        check_id(where, cid)
        if not ch.name.strip():
            bad(f"{where}.name", "must not be empty")
        check_voice(ch.voice, f"{where}.voice")
        if ch.identity_threshold is not None and not 0 < ch.identity_threshold <= 1:
            bad(f"{where}.identity_threshold", f"expected a number in (0, 1], got {ch.identity_threshold:g}")
        characters[cid] = attrs.evolve(ch, references=refs(ch.references, f"{where}.references"))
    environments: dict[str, m.Environment] = {}
    for eid, env in film.environments.items():
        where = f"environments.{eid}"
        check_id(where, eid)
        for i, colour in enumerate(env.palette):
            if not _HEX.match(colour):
                bad(f"{where}.palette[{i}]", f"expected a colour like \"#1a2b3c\", got {colour!r}")
        environments[eid] = attrs.evolve(env, references=refs(env.references, f"{where}.references"))

    if not film.scenes:
        bad("scenes", "a film needs at least one scene")
    scenes: list[m.Scene] = []
    scene_ids: set[str] = set()
    for si, scene in enumerate(film.scenes):
        sw = f"scenes[{si}]"
        check_id(f"{sw}.id", scene.id)
        if scene.id in scene_ids:
            bad(f"{sw}.id", f"scene id {scene.id!r} is used twice")
        scene_ids.add(scene.id)
        if scene.environment not in film.environments:
            bad(f"{sw}.environment", _unknown("environment", scene.environment, film.environments))
        for ci, cid in enumerate(scene.characters):
            if cid not in film.characters:
                bad(f"{sw}.characters[{ci}]", _unknown("character", cid, film.characters))
        if not scene.shots:
            bad(f"{sw}.shots", "a scene needs at least one shot")
        shots: list[m.Shot] = []
        shot_ids: set[str] = set()
        for hi, shot in enumerate(scene.shots):
            w = f"{sw}.shots[{hi}]"
            check_id(f"{w}.id", shot.id)
            if shot.id in shot_ids:
                bad(f"{w}.id", f"shot id {shot.id!r} is used twice in scene {scene.id!r}")
            shot_ids.add(shot.id)
            if not shot.action.strip():
                bad(f"{w}.action", "must not be empty: say what happens on screen")
            if shot.preset is not None and shot.preset not in CINEMATOGRAPHY_PRESETS:
                bad(f"{w}.preset", f"unknown preset {shot.preset!r} "
                    f"(known: {', '.join(CINEMATOGRAPHY_PRESETS)})")
            present = shot.characters if shot.characters is not None else scene.characters
            for ci, cid in enumerate(shot.characters or ()):
                if cid not in film.characters:
                    bad(f"{w}.characters[{ci}]", _unknown("character", cid, film.characters))
            for li, line in enumerate(shot.dialogue):
                if line.speaker not in film.characters:
                    bad(f"{w}.dialogue[{li}].speaker", _unknown("character", line.speaker, film.characters))
                elif line.speaker not in present:
                    bad(f"{w}.dialogue[{li}].speaker", f"{line.speaker!r} speaks but is not in the "
                        "shot's characters (add them, or make it narration)")
                if not line.line.strip():
                    bad(f"{w}.dialogue[{li}].line", "must not be empty")
            for cid in shot.changes:
                if cid not in film.characters:
                    bad(f"{w}.changes.{cid}", _unknown("character", cid, film.characters))
            if shot.environment is not None and shot.environment not in film.environments:
                bad(f"{w}.environment", _unknown("environment", shot.environment, film.environments))
            check_seed(f"{w}.seed", shot.seed)
            if isinstance(shot.duration, float) and not 0 < shot.duration <= 600:
                bad(f"{w}.duration", f"expected seconds in (0, 600] or 'auto', got {shot.duration:g}")
            if shot.duration == m.AUTO and not shot.dialogue and not (shot.narration or "").strip():
                pass  # planned with the model's default length; the plan says so
            if shot.transition_s is not None and not 0 <= shot.transition_s <= 5:
                bad(f"{w}.transition_s", f"expected 0 to 5 seconds, got {shot.transition_s:g}")
            if shot.transition == m.Transition.CUT and shot.transition_s:
                bad(f"{w}.transition_s", "a cut has no duration (use fade or dissolve)")
            if shot.continuity == m.Continuity.CONTINUE:
                if si == 0 and hi == 0:
                    bad(f"{w}.continuity", "the first shot has nothing to continue from")
                elif hi > 0 and shot.environment is not None and shot.environment != _env_before(scene, hi):
                    bad(f"{w}.continuity", "an environment change is a cut; it cannot continue")
                elif hi == 0 and film.scenes[si - 1] and _env_at_end(film.scenes[si - 1]) != scene.environment:
                    bad(f"{w}.continuity", "the environment changes here, which is a cut; "
                        "it cannot continue the previous scene")
            frames = {}
            for key in ("start_frame", "end_frame"):
                value = getattr(shot, key)
                frames[key] = None if value is None else _resolve(value, f"{w}.{key}", o, problems)
                if frames[key] is not None:
                    written[f"{w}.{key}"] = (f"{w}.{key}", str(value))
            if shot.start_frame is not None and shot.continuity == m.Continuity.CONTINUE:
                bad(f"{w}.start_frame", "a shot that continues starts from the previous shot's "
                    "last frame; remove start_frame or use continuity: cut")
            shots.append(attrs.evolve(shot, **frames))
        scenes.append(attrs.evolve(scene, shots=tuple(shots)))
    film = attrs.evolve(
        film, style=style, characters=characters, environments=environments, scenes=tuple(scenes),
        origin=attrs.evolve(o, written=written, sound=not unsound),
    )
    return film, problems


def _env_before(scene: m.Scene, index: int) -> str:
    env = scene.environment
    for shot in scene.shots[:index]:
        env = shot.environment or env
    return env


def _env_at_end(scene: m.Scene) -> str:
    return _env_before(scene, len(scene.shots))


def _unknown(kind: str, value: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"defined: {', '.join(known) or 'none'}"
    return f"unknown {kind} {value!r} ({hint})"


def film_problems(
    data: Any, origin: m.Origin
) -> tuple[m.Film | None, list[str]]:
    """Structure and check plain film data; return the film (when one could be built, possibly
    with offending keys dropped) and every problem found. ``data`` is not modified."""
    data, limits = bounded_copy(data, origin.locate)
    if data is None and limits:  # too deep or too large to structure
        return None, limits
    if isinstance(data, dict) and "origin" in data:
        data = {k: v for k, v in data.items() if k != "origin"}
        early = [f"{origin.locate('origin')}: unknown key"]
    else:
        early = []
    film, problems = _structure(data, origin)
    problems = limits + early + problems
    if film is None:
        return None, problems
    film = attrs.evolve(film, origin=origin)
    film, more = _check(film)
    return film, problems + more


def _read_text(path: Path) -> str:
    """The film file's text; refused unread when it is not a regular file or is too large."""
    try:
        info = path.stat()
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such film file") from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: not a regular file", hint="name a film.yaml, film.toml or film.json")
    if info.st_size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: too large", problems=[
            f"{path.name}:1: {info.st_size} bytes; a film file may have at most {MAX_FILE_BYTES}"])
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_FILE_BYTES:  # it grew since stat
        raise ConfigError(f"{path}: too large", problems=[
            f"{path.name}:1: a film file may have at most {MAX_FILE_BYTES} bytes"])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text", problems=[
            f"{path.name}:{line}: byte {raw[exc.start]:#04x} is not UTF-8"]) from exc


def read_film(path: str | Path, *, allow_outside_refs: bool = False) -> tuple[m.Film | None, list[str]]:
    """Read a film file; return the film (or None) and every problem found, without raising
    (except for unreadable or unparseable files, which raise :class:`ConfigError`)."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"{path.name}: unknown film file type {path.suffix[:20] or '(none)'!r}",
            hint="name it film.yaml, film.toml or film.json",
        )
    text = _read_text(path)
    data, lines, syntax = parse_film_data(text, kind, path.name)
    try:
        full = path.resolve()
    except (OSError, RuntimeError) as exc:  # pragma: no cover - it was just read
        raise ConfigError(f"{path}: cannot resolve: {exc}") from exc
    origin = m.Origin(
        path=full, base_dir=full.parent, lines=lines,
        allow_outside_refs=allow_outside_refs,
    )
    film, problems = film_problems(data, origin)
    problems = syntax + problems
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS],
                    f"{origin.locate('')}: {more} more problems not shown (fix the ones above first)"]
    return film, problems


def load_film(path: str | Path, *, allow_outside_refs: bool = False) -> m.Film:
    """Read and check a film file. Raises :class:`ConfigError` listing every problem."""
    film, problems = read_film(path, allow_outside_refs=allow_outside_refs)
    if problems or film is None:
        n = len(problems)
        raise ConfigError(
            f"{Path(path).name}: {n} problem{'s' if n != 1 else ''}", problems=problems,
            hint="see docs/film-format.md",
        )
    return film
