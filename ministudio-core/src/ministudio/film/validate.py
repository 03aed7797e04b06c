"""``validate_film``: every problem with a film, before anything is spent.

The loader already checked the file itself (types, unknown keys, ids, cross references, paths
outside the folder). This adds what needs the disk and the installed providers: reference and
key-frame files exist and are images (frames in the film's aspect ratio), every shot's provider
and model are installed, and every clip request the plan would send is within the model's
declared capabilities (:func:`ministudio.capcheck.clip_violations`), speech too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ministudio.film.model import Film

__all__ = ["validate_film"]


def _image_size(path: Path) -> tuple[int, int] | str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.verify()
            return img.size
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        return f"not a readable image ({type(exc).__name__})"


def _file_problems(film: Film) -> list[str]:
    o = film.origin
    out: list[str] = []

    def check(path: Path, where: str) -> tuple[int, int] | None:
        shown = path.relative_to(o.base_dir.resolve()) if path.is_relative_to(o.base_dir.resolve()) else path
        if not path.is_file():
            out.append(f"{o.locate(where)}: file not found: {shown}")
            return None
        size = _image_size(path)
        if isinstance(size, str):
            out.append(f"{o.locate(where)}: {shown}: {size}")
            return None
        return size

    for i, p in enumerate(film.style.references):
        check(p, f"style.references[{i}]")
    for cid, ch in film.characters.items():
        for i, p in enumerate(ch.references):
            check(p, f"characters.{cid}.references[{i}]")
    for eid, env in film.environments.items():
        for i, p in enumerate(env.references):
            check(p, f"environments.{eid}.references[{i}]")
    a, b = (float(x) for x in film.format.aspect_ratio.split(":", 1))
    for si, scene in enumerate(film.scenes):
        for hi, shot in enumerate(scene.shots):
            for key in ("start_frame", "end_frame"):
                path = getattr(shot, key)
                if path is None:
                    continue
                where = f"scenes[{si}].shots[{hi}].{key}"
                size = check(path, where)
                if size and abs(size[0] / size[1] - a / b) > 0.02 * (a / b):
                    out.append(
                        f"{o.locate(where)}: image is {size[0]}x{size[1]}, not the film's "
                        f"{film.format.aspect_ratio} aspect ratio (models stretch or refuse it)"
                    )
    return out


def validate_film(film: Film, manager: Any, settings: Any) -> list[str]:
    """Every problem (one located line each); an empty list means the film can be rendered."""
    from ministudio.compile.planner import plan_problems

    problems = _file_problems(film)
    _, more = plan_problems(film, manager, settings)
    return problems + more
