"""Joint assignment of detected faces to a shot's characters (each face to at most one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["assign", "similarities"]


def similarities(faces: Sequence[Any], references: Sequence[Any]) -> Any:
    """(characters, faces) matrix: per character, its best similarity over its reference
    descriptors (``references[c]``: an (n, 128) array) to each face (``1 - L2``, clipped)."""
    import numpy as np

    desc = np.stack([f.descriptor for f in faces])
    out = np.zeros((len(references), len(faces)))
    for c, refs in enumerate(references):
        d = np.linalg.norm(desc[None, :, :] - np.asarray(refs)[:, None, :], axis=2)
        out[c] = np.clip(1.0 - d.min(axis=0), 0.0, 1.0)
    return out


def assign(sim: Any) -> dict[int, int]:
    """Character row -> face column maximising total similarity (Hungarian method); with
    more characters than faces some characters get none, with more faces some stay unused."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(sim, maximize=True)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True)}
