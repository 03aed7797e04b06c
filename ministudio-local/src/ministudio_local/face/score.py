"""Score a clip or image against a character's reference portraits with face embeddings.

With several characters in the shot (``IdentityRequest.others``) the faces of each frame are
assigned to the characters jointly (:mod:`ministudio_local.face.assign`): each face goes to
at most one character, so a character is never scored against someone else's face.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import attrs
from ministudio.errors import MediaError
from ministudio.requests import IdentityRequest, IdentityScore

__all__ = ["SCORER", "THRESHOLD", "score_faces"]

SCORER = "face"
#: chosen by ``benchmarks/identity_bench.py`` on its development set (photos, drawn portraits
#: and their cartoonised, painted, 3D-shaded, low-resolution and two-person versions): the
#: threshold with the fewest false accepts plus false rejects (see docs/local.md)
THRESHOLD = 0.58

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


#: reference descriptors by the portrait's content digest: each portrait is embedded once
#: per process (a render scores many shots against the same few portraits), whatever its path
_REF_CACHE: dict[str, list[Any]] = {}
_REF_LOCK = threading.Lock()


def _reference_descriptors(paths: tuple[Path, ...], embedder: Any) -> tuple[list[Any], list[str]]:
    """Descriptors of the most confident face of each reference (cached per file content)."""
    from ministudio.media import file_digest

    descs, missing = [], []
    for path in paths:
        if not path.is_file():
            raise MediaError(f"reference portrait not found: {path}")
        key = file_digest(path)
        with _REF_LOCK:
            found = _REF_CACHE.get(key)
        if found is None:
            found = _embed_reference(path, embedder)
            with _REF_LOCK:
                if len(_REF_CACHE) > 256:
                    _REF_CACHE.clear()
                _REF_CACHE[key] = found
        if found:
            descs.extend(found)
        else:
            missing.append(path.name)
    return descs, missing


def _reference_face(image: Any, embedder: Any) -> list[Any]:
    """The most confident face of a portrait, searched harder than a frame (once per file):
    as is, then with 2x upsampling, then 4x for small portraits."""
    faces = embedder.faces(image)
    if not faces:
        faces = embedder.faces(image, upsample=1, max_side=max(image.size))
    if not faces and max(image.size) <= 640:
        faces = embedder.faces(image, upsample=2, max_side=max(image.size))
    return faces[:1]


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
    return [f.descriptor for img in images for f in _reference_face(img, embedder)]


def _fallback(request: IdentityRequest, why: str, threshold: float | None,
              frames: list[tuple[float, Any]] | None = None) -> IdentityScore | None:
    """Core's look score (colour/structure), clearly labelled ``kind="look"``: it is not a
    face match and never passes a face gate. None if core has none. ``frames``: the clip's
    sampled frames when they are decoded already."""
    try:
        from ministudio.media import look_score
    except ImportError:
        return None
    kwargs: dict[str, Any] = {} if threshold is None else {"threshold": threshold}
    if frames is not None:
        kwargs["frames"] = frames
    result = look_score(request.media, request.references, samples=request.samples, **kwargs)
    return attrs.evolve(
        result, faces_found=0,
        note=f"{why}; not a face match: look score only ({result.note})",
    )


#: detection passes, cheapest first: (longest side, upsampling). Each finds faces the others
#: miss (benchmarks/identity_bench.py): 720 px as is, full 1280 px detail, then 960 px with
#: 2x upsampling (faces down to about 45 px in a 720p frame, stylised faces at other scales)
PASSES = ((720, 0), (1280, 0), (960, 1))
#: frames scored first, spread over the clip; more (up to ``IdentityRequest.samples``) only
#: while the verdict is uncertain (see :func:`_settled`)
FIRST_FRAMES = 3
#: the median of the frames scored so far is this far from the threshold: more frames
#: would not change the verdict
SETTLED_MARGIN = 0.05


class _FrameFaces:
    """One frame's faces, detected pass by pass on demand and merged (a box found again at
    another scale is kept once), described only when needed; shared by every character of
    a shot."""

    def __init__(self, image: Any, embedder: Any) -> None:
        self.image, self._embedder = image, embedder
        self.faces: list[Any] = []  #: candidates, most confident first
        self.ran: set[int] = set()

    def run(self, index: int) -> int | None:
        """Run pass ``index``: how many new faces it added, None if it had run already."""
        if index in self.ran:
            return None
        self.ran.add(index)
        side, up = PASSES[index]
        before = len(self.faces)
        self.faces.extend(self._embedder.detect(self.image, max_side=side, upsample=up,
                                                known=[f.box for f in self.faces]))
        self.faces.sort(key=lambda c: -c.score)
        return len(self.faces) - before

    def describe_next(self) -> bool:
        """Describe the most confident face not described yet; False when none is left."""
        for c in self.faces:
            if c.descriptor is None:
                self._embedder.describe(c)
                return True
        return False


@attrs.define
class _Shot:
    """A clip's sampled frames and what the passes taught so far: frames of one shot look
    alike, so a shot whose faces only the detail pass finds starts there, and one where the
    extra passes found nothing in two frames running stops trying them. ``cast``: the
    characters this clip is scored for; ``scored``: those done (the frames are dropped once
    every one is)."""

    frames: list[tuple[float, _FrameFaces]]
    start: int = 0
    fruitless: int = 0
    cast: frozenset[str] = frozenset()
    scored: set[str] = attrs.field(factory=set)
    nbytes: int = 0


#: sampled frames of the clips being scored, kept so that scoring a shot's next character
#: decodes and detects nothing again: a clip's entry is dropped as soon as every character
#: of its cast has been scored, and the whole cache never holds more than
#: :data:`FRAME_CACHE_BYTES` of pixels (oldest clips first; the clip being scored stays)
_FRAME_CACHE: dict[tuple[str, int, int, int], _Shot] = {}
_FRAME_LOCK = threading.Lock()
#: held while a clip is scored: detection and description already run one frame at a time
#: (dlib is not documented thread-safe), so clips scored at once in other threads would only
#: hold their decoded frames while waiting for it
_CLIP_LOCK = threading.Lock()
#: about two 720p clips of 8 sampled frames (8 x 2.6 MiB each)
FRAME_CACHE_BYTES = 48 * 2**20


def _image_bytes(image: Any) -> int:
    return int(image.width * image.height * len(image.getbands()))


def _cache_bytes() -> int:
    return sum(sh.nbytes for sh in _FRAME_CACHE.values())


def _media_key(media: Path, samples: int) -> tuple[str, int, int, int]:
    st = media.stat()
    return (str(media.resolve()), st.st_mtime_ns, st.st_size, samples)


def _shot(media: Path, samples: int, embedder: Any,
          cast: frozenset[str] = frozenset()) -> _Shot:
    """Sampled frames of ``media`` with their lazily detected faces, from the cache while
    another character of ``cast`` still needs them (call with :data:`_FRAME_LOCK` held)."""
    from ministudio.media.look import sample_frames

    key = _media_key(media, samples)
    if key not in _FRAME_CACHE:
        frames = [(float(t), _FrameFaces(img, embedder))
                  for t, img in sample_frames(media, samples, nearby=True)]
        entry = _Shot(frames, cast=cast,
                      nbytes=sum(_image_bytes(f.image) for _, f in frames))
        while _FRAME_CACHE and (len(_FRAME_CACHE) >= 4
                                or _cache_bytes() + entry.nbytes > FRAME_CACHE_BYTES):
            _FRAME_CACHE.pop(next(iter(_FRAME_CACHE)))
        _FRAME_CACHE[key] = entry
    return _FRAME_CACHE[key]


def _scored(media: Path, samples: int, character: str) -> None:
    """``character`` is scored on ``media``: drop its frames once its whole cast is (call
    with :data:`_FRAME_LOCK` held)."""
    for key, entry in list(_FRAME_CACHE.items()):
        if key[0] == str(media.resolve()) and key[3] == samples:
            entry.scored.add(character)
            if entry.scored >= entry.cast:
                del _FRAME_CACHE[key]


def spread_order(n: int, first: int = FIRST_FRAMES) -> list[int]:
    """Frame indices in the order they are scored: ``first`` spread over the clip, then the
    rest, each time the one farthest from those taken (ties: the earliest)."""
    if n <= 0:
        return []
    k = min(first, n)
    order = sorted({min(n - 1, int((i + 0.5) * n / k)) for i in range(k)})
    rest = [i for i in range(n) if i not in order]
    while rest:
        pick = max(rest, key=lambda i: (min(abs(i - j) for j in order), -i))
        order.append(pick)
        rest.remove(pick)
    return order


@attrs.frozen
class _Pick:
    similarity: float | None  #: the character's face, None if no face was theirs
    box: tuple[int, int, int, int] | None
    faces: int  #: faces detected in the frame
    taken_by: tuple[str, ...] = ()  #: other characters who got the frame's faces


def _pick(frame: Any, cast: list[tuple[str, Any]], threshold: float = THRESHOLD) -> _Pick:
    """Assign the frame's faces to the cast jointly; cast[0] is the character being scored.

    ``frame`` is a :class:`_FrameFaces` (faces described as needed: at least one per cast
    member, more while a cast member has no face at ``threshold`` and undescribed faces are
    left, most confident first) or a list of described faces."""
    from ministudio_local.face.assign import assign, similarities

    if isinstance(frame, list):
        faces = frame
    else:
        while sum(f.descriptor is not None for f in frame.faces) < min(len(cast), len(frame.faces)):
            frame.describe_next()
        faces = [f for f in frame.faces if f.descriptor is not None]
    if not faces:
        return _Pick(None, None, 0)
    while True:
        sim = similarities(faces, [refs for _, refs in cast])
        pairs = assign(sim)
        settled = all(c in pairs and sim[c, pairs[c]] >= threshold for c in range(len(cast)))
        if settled or isinstance(frame, list) or not frame.describe_next():
            break
        faces = [f for f in frame.faces if f.descriptor is not None]
    total = len(faces) if isinstance(frame, list) else len(frame.faces)
    taken = tuple(cast[c][0] for c in sorted(pairs) if c)
    if 0 not in pairs:
        return _Pick(None, None, total, taken)
    f = pairs[0]
    return _Pick(float(sim[0, f]), faces[f].box, total, taken)


def _frame_pick(shot: _Shot, frame: _FrameFaces, cast: list[tuple[str, Any]],
                threshold: float) -> _Pick:
    """Detect pass by pass until every cast member has a face and this character's matches
    (or the passes run out); the last pass only runs while faces are missing."""
    index = shot.start
    frame.run(index)
    pick = _pick(frame, cast, threshold)
    tried = found = False
    while pick.similarity is None or pick.similarity < threshold or pick.faces < len(cast):
        index += 1
        if index >= len(PASSES) or shot.fruitless >= 2:
            break
        if index == len(PASSES) - 1 and len(frame.faces) >= len(cast):
            break  # everyone has a face: the costly last pass finds no one new
        added = frame.run(index)
        if added is None:
            continue
        tried = True
        if added:
            found = True
            if index == 1 and pick.faces < len(cast):
                shot.start = 1  # the cast's faces need the detail pass: start there
        pick = _pick(frame, cast, threshold)
    if tried:
        shot.fruitless = 0 if found else shot.fruitless + 1
    return pick


def _settled(sims: list[float], threshold: float) -> bool:
    """Whether the frames scored so far decide the shot: none had the character's face (more
    frames of the same shot rarely change that), or at least two did and their median is
    clearly on one side of the threshold."""
    import numpy as np

    if not sims:
        return True
    return len(sims) >= 2 and abs(float(np.median(sims)) - threshold) >= SETTLED_MARGIN


def _crop_sheet(frames: list[tuple[float, float, tuple[int, int, int, int], Any]],
                out_dir: Path, character: str) -> Path:
    """One PNG of the face used in each frame (box plus a margin), labelled with the
    frame's time and similarity."""
    import tempfile

    from ministudio.media import contact_sheet

    items = []
    for t, sim, box, image in frames:
        w, h = box[2] - box[0], box[3] - box[1]
        pad = round(0.25 * max(w, h))
        crop = image.crop((max(0, box[0] - pad), max(0, box[1] - pad),
                           min(image.width, box[2] + pad), min(image.height, box[3] + pad)))
        items.append((crop, f"{t:.1f}s {sim:.2f}"))
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"faces-{character}-", suffix=".png", dir=out_dir)
    import os

    os.close(fd)
    return contact_sheet(items, Path(name), columns=len(items), thumb_width=128)


def score_faces(
    request: IdentityRequest, *, threshold: float = THRESHOLD, look_threshold: float | None = None,
    log: Any = None, crops_dir: Path | None = None,
) -> IdentityScore | None:
    """Face identity score of ``request.media`` against ``request.references``.

    Per sampled frame the faces are assigned to ``request.character`` and ``request.others``
    jointly (one character alone: a face that matches, else its best-matching face); the
    character's face counts, and its box is reported in ``boxes``. Frames where no face is
    the character's are left out and reported. :data:`FIRST_FRAMES` frames spread over the
    clip are scored first, more (up to ``request.samples``) only while the verdict is
    uncertain. ``score`` is the median, ``p10`` the 10th percentile, ``minimum`` the worst
    frame. With ``crops_dir`` (and ``request.crops``) an image of the faces used is written
    there and returned as ``crops``. No face of the character at all: a ``kind="look"``
    score that says why.
    """
    import numpy as np

    from ministudio_local.face.embed import FaceEmbedder

    if not request.references:
        raise MediaError("identity scoring needs at least one reference portrait")
    if not request.media.exists():
        raise MediaError(f"no such clip or image: {request.media}")
    embedder = FaceEmbedder.shared()
    who_key = request.character or ""
    refs, missing = _reference_descriptors(request.references, embedder)
    if not refs:
        with _FRAME_LOCK:  # nothing to score on the frames: the rest of the cast may be done
            _scored(request.media, request.samples, who_key)
        return _fallback(request, "no face found in the reference portrait(s) "
                         + ", ".join(missing), look_threshold)
    cast: list[tuple[str, Any]] = [(request.character or "this character", np.stack(refs))]
    unusable = []
    for other, other_refs in request.others:
        if other == request.character or not other_refs:
            continue
        descs, _ = _reference_descriptors(other_refs, embedder)
        if descs:
            cast.append((other, np.stack(descs)))
        else:
            unusable.append(other)
    cast_ids = frozenset([who_key, *(o for o, refs in request.others if refs)])
    with _CLIP_LOCK:  # one clip's frames decoded at a time (the work is serial anyway)
        with _FRAME_LOCK:
            shot = _shot(request.media, request.samples, embedder, cast_ids)
        try:
            return _score_shot(request, shot, cast, threshold=threshold,
                               look_threshold=look_threshold, log=log, crops_dir=crops_dir,
                               missing=missing, unusable=unusable)
        finally:
            with _FRAME_LOCK:
                _scored(request.media, request.samples, who_key)
            _give_back()


def _give_back() -> None:
    """Hand the heap freed by decoding and detection back to the OS now, not only after the
    shot (:func:`ministudio.engine.heap.trim`): the render's next clip needs it."""
    try:
        from ministudio.engine import heap
    except ImportError:  # pragma: no cover - an older core
        return
    heap.trim()


def _score_shot(request: IdentityRequest, shot: _Shot, cast: list[tuple[str, Any]], *,
                threshold: float, look_threshold: float | None, log: Any,
                crops_dir: Path | None, missing: list[str],
                unusable: list[str]) -> IdentityScore | None:
    """:func:`score_faces` on the clip's sampled frames ``shot``."""
    import numpy as np

    used: list[tuple[float, float, tuple[int, int, int, int], Any]] = []
    scored = with_faces = 0
    taken: set[str] = set()

    for n, i in enumerate(spread_order(len(shot.frames))):
        if n >= FIRST_FRAMES and _settled([u[1] for u in used], threshold):
            break
        t, frame = shot.frames[i]
        with _FRAME_LOCK:
            pick = _frame_pick(shot, frame, cast, threshold)
        scored += 1
        with_faces += pick.faces > 0
        if pick.similarity is None:
            taken.update(pick.taken_by)
            continue
        assert pick.box is not None
        used.append((t, pick.similarity, pick.box, frame.image))
    used.sort(key=lambda u: u[0])
    sims = [u[1] for u in used]
    who = request.character or "the character"
    if not sims:
        if with_faces:
            why = (f"no face of {who} in {scored} sampled frame(s): the faces found were "
                   f"assigned to {', '.join(sorted(taken)) or 'other characters'}")
        else:
            why = f"no face found in {scored} sampled frame(s)"
        return _fallback(request, why, look_threshold,
                         frames=[(t, frame.image) for t, frame in shot.frames])
    note = f"face found in {len(sims)}/{scored} sampled frame(s)"
    if len(cast) > 1:
        note += f"; faces assigned jointly with {', '.join(c for c, _ in cast[1:])}"
    if taken:
        note += f"; {with_faces - len(sims)} frame(s) had only faces of {', '.join(sorted(taken))}"
    if missing:
        note += f"; no face in reference(s) {', '.join(missing)} (ignored)"
    if unusable:
        note += f"; no face in the portraits of {', '.join(unusable)} (not assigned)"
    if log is not None:
        log.debug("face.score", frames=scored, with_face=len(sims), cast=len(cast),
                  median=float(np.median(sims)))
    crops = None
    if crops_dir is not None and request.crops:
        crops = _crop_sheet(used, crops_dir, "".join(
            ch if ch.isalnum() or ch in "-_" else "_" for ch in request.character or "face"))
    return IdentityScore.from_samples(
        sims, scorer=SCORER, kind="face", threshold=threshold, frames_used=[u[0] for u in used],
        faces_found=len(sims), note=note, boxes=[u[2] for u in used], crops=crops,
    )
