"""The studio's view of films: where they are, checking text as it is typed, plans, last renders.

Every path the studio touches goes through :func:`inside`: a path relative to the studio
folder, resolved (symlinks followed) and refused unless it stays inside the folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ministudio.errors import ConfigError, MinistudioError

__all__ = ["FILM_NAMES", "PathRefused", "check_text", "find_films", "film_info", "inside",
           "last_render", "located", "out_dir", "plan_doc", "public_url"]

#: film files the studio lists: ``film.yaml`` (and .yml/.toml/.json), or ``NAME.film.yaml``
FILM_NAMES = re.compile(r"^(?:.+\.)?film\.(?:ya?ml|toml|json)$", re.IGNORECASE)
#: folders never searched for films
SKIP_DIRS = {"out", "node_modules", "__pycache__", "venv"}
MAX_DEPTH = 4
_LOCATED = re.compile(r"^(?P<file>[^:\n]+?):(?P<line>\d+)(?::(?P<col>\d+))?(?:: (?P<msg>.*))?$",
                      re.DOTALL)


class PathRefused(MinistudioError):
    """A path outside the studio folder, hidden, or not there (``status``: 403 or 404)."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def inside(root: Path, rel: str, *, must_exist: bool = True) -> Path:
    """``root/rel`` resolved, refused (:class:`PathRefused`) unless it is inside ``root``
    (after following every symlink), names no hidden part (``.ministudio``, ``.env``) and,
    with ``must_exist``, exists."""
    root = root.resolve()
    if "\x00" in rel or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
        raise PathRefused(f"{rel[:80]!r}: not a path inside the studio folder", 403)
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise PathRefused(f"{rel[:80]!r}: '..' is not allowed", 403)
    if any(p.startswith(".") for p in parts):
        raise PathRefused(f"{rel[:80]!r}: hidden files are not served", 403)
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=must_exist)
    except FileNotFoundError:
        raise PathRefused(f"{rel[:80]!r}: not found", 404) from None
    except (OSError, RuntimeError):  # a symlink loop, a name too long
        raise PathRefused(f"{rel[:80]!r}: cannot be opened", 403) from None
    if not resolved.is_relative_to(root):
        raise PathRefused(f"{rel[:80]!r}: outside the studio folder", 403)
    if any(p.startswith(".") for p in resolved.relative_to(root).parts):
        raise PathRefused(f"{rel[:80]!r}: hidden files are not served", 403)
    return resolved


def public_url(root: Path, path: Path | None) -> str | None:
    """``/files/REL`` for a file inside the studio folder, else None (never served)."""
    if path is None:
        return None
    try:
        rel = Path(path).resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    if any(p.startswith(".") for p in rel.parts):
        return None
    from urllib.parse import quote

    return "/files/" + quote(rel.as_posix())


def find_films(root: Path) -> list[str]:
    """Film files under ``root`` (relative posix paths), skipping hidden and output folders."""
    root = root.resolve()
    found: list[str] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir() and not entry.is_symlink():
                if depth < MAX_DEPTH and entry.name not in SKIP_DIRS:
                    walk(entry, depth + 1)
            elif FILM_NAMES.match(entry.name) and entry.is_file():
                try:
                    if entry.resolve().is_relative_to(root):
                        found.append(entry.relative_to(root).as_posix())
                except OSError:
                    continue

    walk(root, 0)
    return found


def located(problem: str) -> dict[str, Any]:
    """One loader problem line as ``{line, col, path, message, text}`` (line None when the
    problem has no place in the file)."""
    m = _LOCATED.match(problem)
    if not m or not m["line"]:
        return {"line": None, "col": None, "path": None, "message": problem, "text": problem}
    rest = m["msg"] or ""
    path, _, message = rest.partition(": ") if ": " in rest else ("", "", rest)
    return {"line": int(m["line"]), "col": int(m["col"]) if m["col"] else None,
            "path": path or None, "message": message or rest, "text": problem}


def check_text(text: str, film_path: Path, manager: Any, settings: Any) -> tuple[Any, list[str]]:
    """Check film text as if it were saved at ``film_path``: the loader's located problems,
    then (for a film the loader accepted) the provider and capability checks."""
    from ministudio.film import model as m
    from ministudio.film.loader import SUFFIXES, film_problems, parse_film_data
    from ministudio.film.validate import validate_film

    kind = SUFFIXES.get(film_path.suffix.lower(), "yaml")
    try:
        data, lines, syntax = parse_film_data(text, kind, film_path.name)
    except ConfigError as exc:
        return None, list(exc.problems) or [exc.message]
    origin = m.Origin(path=film_path, base_dir=film_path.parent, lines=lines)
    film, problems = film_problems(data, origin)
    problems = syntax + problems
    if film is not None and not problems:
        problems = validate_film(film, manager, settings)
    return film, problems


def out_dir(film_path: Path) -> Path:
    """Where ``render`` writes by default: ``out/<film name>`` next to the film."""
    return film_path.parent / "out" / film_path.stem


def last_render(root: Path, film_path: Path) -> dict[str, Any] | None:
    """The last render's manifest summary (status, cost, files as URLs, shots), or None."""
    folder = out_dir(film_path)
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = {name: public_url(root, folder / rel)
             for name, rel in (manifest.get("files") or {}).items() if isinstance(rel, str)}
    shots = []
    for shot in manifest.get("shots") or []:
        shots.append({**shot, "clip_url": public_url(root, folder / shot["clip"])
                      if shot.get("clip") else None})
    return {"status": manifest.get("status"), "created": manifest.get("created"),
            "title": manifest.get("title"), "cost": manifest.get("cost"),
            "provider_calls": manifest.get("provider_calls"), "wall_s": manifest.get("wall_s"),
            "failures": manifest.get("failures") or [], "files": files, "shots": shots,
            "format": manifest.get("format"), "production_id": manifest.get("production_id")}


def _images(root: Path, refs: Any) -> list[str]:
    return [u for u in (public_url(root, p) for p in refs or ()) if u]


def film_info(root: Path, film: Any) -> dict[str, Any]:
    """Characters and environments of a loaded film, with their images as URLs."""
    return {
        "title": film.title,
        "characters": [{"id": cid, "name": c.name, "description": c.description,
                        "images": _images(root, c.references)}
                       for cid, c in film.characters.items()],
        "environments": [{"id": eid, "description": e.description,
                          "images": _images(root, e.references)}
                         for eid, e in film.environments.items()],
    }


def _shots(film: Any) -> Iterator[tuple[str, Any]]:
    for scene in film.scenes:
        for shot in scene.shots:
            yield f"{scene.id}.{shot.id}", shot


def plan_doc(root: Path, film_path: Path, film: Any, plan: Any) -> dict[str, Any]:
    """``plan --json``'s document, each clip with what a storyboard shows: its shot type and
    camera (from the shot, else its cinematography preset) and its reference images as URLs."""
    from ministudio.cli.film import plan_to_json
    from ministudio.film.presets import CINEMATOGRAPHY_PRESETS

    doc = plan_to_json(plan, film_path.parent)
    shots = dict(_shots(film))
    for clip in doc["clips"]:
        shot = shots.get(f"{clip['scene']}.{clip['shot']}")
        preset = CINEMATOGRAPHY_PRESETS.get(shot.preset) if shot and shot.preset else None
        kind = (shot.type.value if shot and shot.type else
                preset.shot_type.value if preset else None)
        camera = shot.camera if shot else None
        clip["shot_type"] = kind
        clip["preset"] = shot.preset if shot else None
        clip["camera"] = {
            "movement": (camera.movement if camera and camera.movement else
                         preset.movement if preset else None),
            "lens": (camera.lens if camera and camera.lens else preset.lens if preset else None),
        }
        clip["action"] = shot.action if shot else None
        clip["images"] = [u for u in (public_url(root, film_path.parent / r["path"])
                                      for r in clip["reference_images"] if r["path"]) if u]
    return doc


#: a stored media name: ``ab/abcdef…(64 hex).ext``
MEDIA_NAME = re.compile(r"^([0-9a-f]{2})/\1[0-9a-f]{62}\.(mp4|webm|mov|png|jpg|jpeg|webp|wav|mp3|m4a)$")


def media_path(film_path: Path, name: str) -> Path:
    """A stored file of the film's project by its content name, refused unless the name is
    exactly a stored-media name and the file lies inside ``.ministudio/media``."""
    if not MEDIA_NAME.match(name):
        raise PathRefused(f"{name[:80]!r}: not a stored media name", 403)
    store = (film_path.parent / ".ministudio" / "media").resolve()
    try:
        path = (store / name).resolve(strict=True)
    except (OSError, RuntimeError):
        raise PathRefused(f"{name[:80]!r}: not stored", 404) from None
    if not path.is_relative_to(store) or not path.is_file():
        raise PathRefused(f"{name[:80]!r}: not stored", 404)
    return path


def takes(film_path: Path, shot: str, kept: str | None = None, limit: int = 24, *,
          kept_attempt: int | None = None, production: int | None = None,
          current_key: str | None = None, tolerance: float | None = None
          ) -> list[dict[str, Any]]:
    """Every delivered take of ``shot`` in the project's ledger, newest first: the clip and
    its identity crops as stored-media names, seed, cost, scores, whether it is ``kept`` (the
    last render's take: ``kept_attempt`` from its manifest, else the newest take with the
    clip hash ``kept``), ``picked`` (the project's pick for the shot) and ``current`` (made
    for the shot as the last render, ``production``, asked for it: a pick of a take that is
    not current is ignored by the next render)."""
    import sqlite3

    from ministudio.engine.ledger import Ledger
    from ministudio.engine.picks import DURATION_TOLERANCE_S, current_request, made_for

    path = film_path.parent / ".ministudio" / "ledger.sqlite"
    if not path.is_file():
        return []
    try:
        ledger = Ledger(path, read_only=True)
    except sqlite3.Error:
        return []
    try:
        rows = ledger.takes(shot, limit=limit)
        pick = ledger.pick(shot)
        key, loose, duration = current_request(ledger, production, shot, current_key)
    except sqlite3.Error:
        return []
    finally:
        ledger.close()
    if kept_attempt is None and kept:  # a manifest from before it named the take
        kept_attempt = next((t.attempt for t in rows if Path(t.media).stem == kept), None)
    out = []
    for take in rows:
        identity = {}
        for who, rec in (take.scores or {}).items():
            if isinstance(rec, dict):
                identity[who] = {k: rec.get(k) for k in ("name", "score", "threshold", "passed",
                                                          "kind", "note")}
                crop = rec.get("crop_media")
                identity[who]["crop"] = crop if isinstance(crop, str) and MEDIA_NAME.match(
                    crop) else None
        out.append({"attempt": take.attempt, "production": take.production, "seed": take.seed,
                    "status": take.status, "started_at": take.started_at,
                    "finished_at": take.finished_at, "media": take.media,
                    "cost": None if take.cost is None else str(take.cost),
                    "provider": take.provider, "model": take.model,
                    "kept": kept_attempt is not None and take.attempt == kept_attempt,
                    "picked": pick is not None and pick.attempt == take.attempt,
                    "current": made_for(take, key, loose, duration, DURATION_TOLERANCE_S
                                        if tolerance is None else tolerance),
                    "identity": identity})
    return out
