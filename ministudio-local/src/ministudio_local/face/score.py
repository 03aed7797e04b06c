"""Score a clip or image against a character's reference portraits with face embeddings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import MediaError
from ministudio.requests import IdentityRequest, IdentityScore

__all__ = ["SCORER", "THRESHOLD", "score_faces"]

SCORER = "face"
#: calibrated on the shipped photos (astronaut vs Grace Hopper, with crops, mirroring, JPEG
#: q30/q50, 200-px downscale, darkening): same person >= 0.526, different people <= 0.412
#: (similarity = 1 - dlib L2 distance); the midpoint of that gap. See docs/local.md.
THRESHOLD = 0.47

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


_REF_CACHE: dict[tuple[str, int, int], list[Any]] = {}


def _reference_descriptors(paths: tuple[Path, ...], embedder: Any) -> tuple[list[Any], list[str]]:
    """Descriptors of the most confident face of each reference (cached per file version)."""
    descs, missing = [], []
    for path in paths:
        if not path.exists():
            raise MediaError(f"reference portrait not found: {path}")
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
        if key not in _REF_CACHE:
            if len(_REF_CACHE) > 256:
                _REF_CACHE.clear()
            _REF_CACHE[key] = _embed_reference(path, embedder)
        found = _REF_CACHE[key]
        if found:
            descs.extend(found)
        else:
            missing.append(path.name)
    return descs, missing


def _embed_reference(path: Path, embedder: Any) -> list[Any]:
    from ministudio.media.look import sample_frames
    from PIL import Image

    if path.suffix.lower() in _IMAGE_SUFFIXES:
        try:
            with Image.open(path) as im:
                images = [im.convert("RGB")]
        except OSError as exc:
            raise MediaError(f"cannot read reference portrait {path}: {exc}") from None
    else:
        images = [img for _, img in sample_frames(path, 3)]
    return [f.descriptor for img in images for f in embedder.faces(img)[:1]]


def _fallback(request: IdentityRequest, why: str, threshold: float | None) -> IdentityScore | None:
    """Core's look score (colour/structure), clearly labelled; None if core has none."""
    try:
        from ministudio.media import look_score
    except ImportError:
        return None
    kwargs = {} if threshold is None else {"threshold": threshold}
    result = look_score(request.media, request.references, samples=request.samples, **kwargs)
    return attrs.evolve(
        result, faces_found=0, note=f"{why}; fell back to the look score ({result.note})"
    )


def score_faces(
    request: IdentityRequest, *, threshold: float = THRESHOLD, look_threshold: float | None = None,
    log: Any = None,
) -> IdentityScore | None:
    """Face identity score of ``request.media`` against ``request.references``.

    Per sampled frame the best-matching face against any reference counts (several people in
    a frame: the character's face wins); frames without a face are left out and reported.
    ``score`` is the median, ``p10`` the 10th percentile, ``minimum`` the worst frame.
    """
    import numpy as np
    from ministudio.media.look import sample_frames

    from ministudio_local.face.embed import DETAIL_MAX_SIDE, FaceEmbedder, distance_to_similarity

    if not request.references:
        raise MediaError("identity scoring needs at least one reference portrait")
    if not request.media.exists():
        raise MediaError(f"no such clip or image: {request.media}")
    embedder = FaceEmbedder.shared()
    refs, missing = _reference_descriptors(request.references, embedder)
    if not refs:
        return _fallback(request, "no face found in the reference portrait(s) "
                         + ", ".join(missing), look_threshold)
    ref_mat = np.stack(refs)
    frames = sample_frames(request.media, request.samples)
    sims: list[float] = []
    times: list[float] = []

    def best(faces: list[Any]) -> float | None:
        if not faces:
            return None
        d = np.linalg.norm(
            np.stack([f.descriptor for f in faces])[:, None, :] - ref_mat[None, :, :], axis=2
        )
        return distance_to_similarity(float(d.min()))

    for t, img in frames:
        sim = best(embedder.faces(img))
        if (sim is None or sim < threshold) and max(img.size) > 720:
            # no match at the fast detection size: look again at full detail (small faces)
            detail = best(embedder.faces(img, max_side=DETAIL_MAX_SIDE))
            if detail is not None and (sim is None or detail > sim):
                sim = detail
        if sim is None:
            continue
        sims.append(sim)
        times.append(float(t))
    if not sims:
        return _fallback(request, f"no face found in {len(frames)} sampled frame(s)",
                         look_threshold)
    note = f"face found in {len(sims)}/{len(frames)} sampled frame(s)"
    if missing:
        note += f"; no face in reference(s) {', '.join(missing)} (ignored)"
    if log is not None:
        log.debug("face.score", frames=len(frames), with_face=len(sims),
                  median=float(np.median(sims)))
    return IdentityScore.from_samples(
        sims, scorer=SCORER, kind="face", threshold=threshold, frames_used=times,
        faces_found=len(sims), note=note,
    )
