"""``validate_film``: every problem with a film, before anything is spent.

The loader already checked the file itself (types, unknown keys, ids, cross references, paths
outside the folder). This adds what needs the disk and the installed providers: reference and
key-frame files exist and are images (frames in the film's aspect ratio), every shot's provider
and model are installed, and every clip request the plan would send is within the model's
declared capabilities (:func:`ministudio.capcheck.clip_violations`), speech too, and every
``[providers.NAME]`` settings table against the settings that provider declares.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path
from typing import Any

from ministudio.film.model import Film

__all__ = ["MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "validate_film"]

#: a reference or key frame larger than this is refused unopened
MAX_IMAGE_BYTES = 64 * 1024 * 1024
#: pixels an image may declare in its header (8K is 33 million); checked before decoding
MAX_IMAGE_PIXELS = 40_000_000


def _image_size(path: Path) -> tuple[int, int] | str:
    """The size an image declares in its header, or why it is refused. Pixel data is only
    checked (``verify``) once the declared size is within :data:`MAX_IMAGE_PIXELS`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:  # reads the header only
                w, h = img.size
                if w <= 0 or h <= 0 or w * h > MAX_IMAGE_PIXELS:
                    return (f"the image declares {w}x{h} pixels; the most a reference can have "
                            f"is {MAX_IMAGE_PIXELS:,}")
                img.verify()
                return w, h
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return f"the image declares more than {MAX_IMAGE_PIXELS:,} pixels"
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        return f"not a readable image ({type(exc).__name__})"


def _refusal(path: Path) -> str | None:
    """Why a reference file cannot be used, found without opening it (``None``: it may be
    opened). A file with several names (a hard link) is refused: its other names may be
    outside the film's folder."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except (OSError, ValueError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > MAX_IMAGE_BYTES:
        return f"{info.st_size} bytes; a reference may have at most {MAX_IMAGE_BYTES}"
    if info.st_nlink > 1:
        return (f"a hard link ({info.st_nlink} names for one file), which may be a file outside "
                "the film's folder; copy it in instead, or allow it explicitly "
                "(--allow-outside-refs)")
    return None


def _file_problems(film: Film) -> list[str]:
    o = film.origin
    out: list[str] = []

    def check(path: Path, key: str) -> tuple[int, int] | None:
        # the place in the file and the path as written there; never where a link points
        where, shown = o.written.get(key, (key, path.name))
        refused = _refusal(path)
        if refused == "file not found":
            out.append(f"{o.locate(where)}: file not found: {shown}")
            return None
        if refused is not None and not (o.allow_outside_refs and refused.startswith("a hard link")):
            out.append(f"{o.locate(where)}: {shown}: {refused}")
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
    ratio = _ratio(film.format.aspect_ratio)
    for si, scene in enumerate(film.scenes):
        for hi, shot in enumerate(scene.shots):
            for key in ("start_frame", "end_frame"):
                path = getattr(shot, key)
                if path is None:
                    continue
                where = f"scenes[{si}].shots[{hi}].{key}"
                size = check(path, where)  # frames are never left out, so the path is the same
                if size and ratio and abs(size[0] / size[1] - ratio) > 0.02 * ratio:
                    out.append(
                        f"{o.locate(where)}: image is {size[0]}x{size[1]}, not the film's "
                        f"{film.format.aspect_ratio} aspect ratio (models stretch or refuse it)"
                    )
    return out


def _ratio(aspect_ratio: str) -> float | None:
    """``"16:9"`` -> 1.78; None for anything else (the loader reported it)."""
    try:
        a, b = (float(x) for x in aspect_ratio.split(":"))
        return a / b if a > 0 and b > 0 else None
    except (ValueError, ZeroDivisionError):
        return None


def validate_film(film: Film, manager: Any, settings: Any) -> list[str]:
    """Every problem (one located line each); an empty list means the film can be rendered.

    The plan is checked only for a film whose values the loader accepted
    (``film.origin.sound``): a film the loader already refused values of is reported by the
    loader, and the planner may rely on what the loader checks."""
    from ministudio.compile.planner import plan_problems

    problems = _file_problems(film)
    if hasattr(manager, "settings_problems"):
        # a typo in [providers.NAME] is found here, before any speech or clip is paid for
        problems += manager.settings_problems(settings)
    if not film.origin.sound:
        return problems
    _, more = plan_problems(film, manager, settings)
    return problems + more
