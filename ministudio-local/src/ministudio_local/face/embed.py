"""Face embeddings with dlib: HOG face detector, 5-point landmarks, ResNet descriptor.

The model files are found by :mod:`ministudio_local.face.files` (``model_files`` and
``available`` are re-exported here).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import attrs

from ministudio_local.face.files import _DIST, available, model_files

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Candidate", "Face", "FaceEmbedder", "available", "distance_to_similarity", "iou", "model_files",
    "plausible",
]

#: frames are shrunk to this longest side before detection (HOG cost grows with pixels);
#: the scorer retries an unmatched frame with 2x upsampling to find smaller faces (the HOG
#: window is 80 px: about 71 px faces in a 1280x720 frame then)
DETECT_MAX_SIDE = 720
#: faces narrower than this (pixels, after shrinking) are too small to identify reliably
MIN_FACE_PX = 36


def distance_to_similarity(distance: float) -> float:
    """Map dlib's L2 descriptor distance (same person typically < 0.6) to [0, 1]:
    ``1 - distance``, clipped. 0.4 is dlib's own 0.6 same-person boundary."""
    return max(0.0, min(1.0, 1.0 - float(distance)))


@attrs.frozen(kw_only=True)
class Face:
    #: (left, top, right, bottom) in the original image's pixels
    box: tuple[int, int, int, int]
    descriptor: Any = attrs.field(eq=False)  #: numpy float32 (128,)
    #: the HOG detector's confidence (higher is more face-like)
    score: float = 0.0


@attrs.define(eq=False)
class Candidate:
    """A detected face, described on demand (:meth:`FaceEmbedder.describe`)."""

    #: (left, top, right, bottom) in the original image's pixels
    box: tuple[int, int, int, int]
    #: the HOG detector's confidence (higher is more face-like)
    score: float
    chip: Any = attrs.field(repr=False)  #: aligned 150x150 RGB face chip (numpy uint8)
    descriptor: Any = attrs.field(default=None, repr=False)  #: numpy float32 (128,), once described


#: landmark sanity limits, in units of the eye distance (dlib 5-point model: points 0-1 and
#: 2-3 are the corners of the two eyes, 4 is below the nose). Measured on all 47 detections of
#: benchmarks/identity_bench.py's development set (photos, drawn portraits, their stylised,
#: tilted and two-person versions): eye distance / box width 0.25-0.48, nose drop 0.61-0.85
#: eye distances, nose offset <= 0.07, roll <= 13 degrees; the limits leave room for turned
#: and tilted heads.
EYES_PER_BOX = (0.22, 0.75)
NOSE_DROP = (0.25, 1.6)
NOSE_OFFSET = 0.45
MAX_ROLL_DEG = 40.0


#: two boxes overlapping this much (intersection over union) are the same face
SAME_FACE_IOU = 0.4


def iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def plausible(points: Any, width: float) -> bool:
    """True when 5 landmarks (x, y) look like a face: two eyes of a sensible size for the
    box, roughly level, a nose below and between them. Rejects boxes on textures (foliage,
    a blurred screen) where the detector fires but landmarks land anywhere."""
    import math

    import numpy as np

    pts = np.asarray(points, dtype=float)
    e1, e2, nose = (pts[0] + pts[1]) / 2, (pts[2] + pts[3]) / 2, pts[4]
    left, right = (e1, e2) if e1[0] <= e2[0] else (e2, e1)
    axis = right - left
    d = float(np.hypot(*axis))
    if d <= 0 or width <= 0:
        return False
    roll = math.degrees(math.atan2(axis[1], axis[0]))
    if abs(roll) > MAX_ROLL_DEG or not EYES_PER_BOX[0] <= d / width <= EYES_PER_BOX[1]:
        return False
    ux, uy = axis / d
    rel = nose - (left + right) / 2
    along, drop = rel[0] * ux + rel[1] * uy, -rel[0] * uy + rel[1] * ux
    return NOSE_DROP[0] <= drop / d <= NOSE_DROP[1] and abs(along) / d <= NOSE_OFFSET


class FaceEmbedder:
    """Loads the dlib models once (about 0.4 s) and embeds every face in an image."""

    _shared: FaceEmbedder | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        import dlib

        files = model_files()
        if files is None:
            raise RuntimeError(f"the {_DIST} model files are not installed")
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(files["landmarks"]))
        self._descriptor = dlib.face_recognition_model_v1(str(files["descriptor"]))
        self._call_lock = threading.Lock()  # dlib objects are not documented thread-safe

    @classmethod
    def shared(cls) -> FaceEmbedder:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def faces(
        self, image: Any, *, upsample: int | None = None, max_side: int = DETECT_MAX_SIDE,
        check: bool = True, known: Sequence[tuple[int, int, int, int]] = (),
    ) -> list[Face]:
        """Every detected face in a PIL image (most confident first) with its descriptor:
        :meth:`detect`, then :meth:`describe` on each."""
        return [Face(box=c.box, descriptor=self.describe(c), score=c.score)
                for c in self.detect(image, upsample=upsample, max_side=max_side, check=check,
                                     known=known)]

    def detect(
        self, image: Any, *, upsample: int | None = None, max_side: int = DETECT_MAX_SIDE,
        check: bool = True, known: Sequence[tuple[int, int, int, int]] = (),
    ) -> list[Candidate]:
        """Detected faces of a PIL image, most confident first, not yet described.

        ``upsample=None``: one pass as is, a second with 2x upsampling if nothing was found.
        ``check``: drop detections whose landmarks fail :func:`plausible`. ``known``: boxes
        already found (an earlier pass): detections overlapping one are skipped. Each
        candidate keeps its aligned 150 px chip, so describing it later needs no frame."""
        import dlib
        import numpy as np
        from PIL import Image

        rgb = image.convert("RGB")
        scale = min(1.0, max_side / max(rgb.size))
        small = rgb if scale == 1.0 else rgb.resize(
            (round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BILINEAR
        )
        arr = np.asarray(small)
        with self._call_lock:
            if upsample is None:
                found = self._detect(arr, 0)
                if not found:  # small faces need one upsampling pass
                    found = self._detect(arr, 1)
            else:
                found = self._detect(arr, upsample)
            out = []
            for r, score in found:
                if r.width() < MIN_FACE_PX * 0.5:
                    continue
                box = tuple(int(round(v / scale)) for v in (r.left(), r.top(), r.right(), r.bottom()))
                if any(iou(box, k) >= SAME_FACE_IOU for k in known):
                    continue
                shape = self._landmarks(arr, r)
                if check and not plausible([(p.x, p.y) for p in shape.parts()], r.width()):
                    continue
                # the descriptor network's input, as compute_face_descriptor(arr, shape) cuts it
                chip = dlib.get_face_chip(arr, shape, size=150, padding=0.25)
                out.append(Candidate(box=box, score=float(score), chip=chip))  # type: ignore[arg-type]
        return out

    def describe(self, candidate: Candidate) -> Any:
        """The 128-d descriptor of a detected face (computed once, about 0.1 s of CPU: most
        of the scorer's cost, so callers describe only the faces they need)."""
        import numpy as np

        if candidate.descriptor is None:
            with self._call_lock:
                candidate.descriptor = np.asarray(
                    self._descriptor.compute_face_descriptor(candidate.chip), dtype=np.float32)
        return candidate.descriptor

    def _detect(self, arr: Any, upsample: int) -> list[tuple[Any, float]]:
        rects, scores, _ = self._detector.run(arr, upsample, 0.0)
        return sorted(zip(rects, scores, strict=True), key=lambda rs: rs[1], reverse=True)
