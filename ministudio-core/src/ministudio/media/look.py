"""A model-free *look continuity* score: does this clip look like the reference images?

This is NOT a face identity score. It compares colour (hue/saturation/value histograms,
histogram intersection) and coarse structure (SSIM of small greyscale thumbnails) between
sampled frames and the references. It catches a shot whose palette or composition drifted
away from the character sheet or the previous shot; it cannot tell two people apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ministudio.errors import MediaError
from ministudio.requests import IdentityScore

__all__ = ["LOOK_THRESHOLD", "look_score", "look_similarity", "sample_frames"]

LOOK_THRESHOLD = 0.55
SCORER = "look"
_THUMB = 32
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}


def _features(image):  # type: ignore[no-untyped-def]
    import numpy as np
    from PIL import Image

    # box-averaged thumbnail: grain and compression noise average out, composition stays
    rgb = image.convert("RGB").resize((_THUMB, _THUMB), Image.Resampling.BOX)
    hsv = np.asarray(rgb.convert("HSV"), dtype=np.int32)
    h = hsv[..., 0] * 12 // 256
    s = hsv[..., 1] * 3 // 256
    v = hsv[..., 2] * 3 // 256
    hist = np.bincount((h * 9 + s * 3 + v).ravel(), minlength=108).astype(np.float64)
    # soften along the (circular) hue axis so that noise around a bin edge, or reds on
    # both sides of hue 0, do not look like a colour change
    hist = hist.reshape(12, 9)
    hist = 0.5 * hist + 0.25 * np.roll(hist, 1, axis=0) + 0.25 * np.roll(hist, -1, axis=0)
    hist = hist.ravel() / hist.sum()
    gray = np.asarray(rgb.convert("L"), dtype=np.float64)
    return hist, gray


def _ssim(a, b) -> float:  # type: ignore[no-untyped-def]
    """Mean SSIM over 8x8 blocks (a light, window-based variant)."""

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    n = _THUMB // 8
    a = a.reshape(n, 8, n, 8).transpose(0, 2, 1, 3).reshape(n, n, 64)
    b = b.reshape(n, 8, n, 8).transpose(0, 2, 1, 3).reshape(n, n, 64)
    ma, mb = a.mean(-1), b.mean(-1)
    va, vb = a.var(-1), b.var(-1)
    cov = ((a - ma[..., None]) * (b - mb[..., None])).mean(-1)
    s = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    return float(s.mean())


def look_similarity(image_a, image_b) -> float:  # type: ignore[no-untyped-def]
    """Similarity in [0, 1] of two PIL images: 0.7 colour histogram + 0.3 structure."""
    import numpy as np

    ha, ga = _features(image_a)
    hb, gb = _features(image_b)
    colour = float(np.minimum(ha, hb).sum())
    structure = max(0.0, _ssim(ga, gb))
    return max(0.0, min(1.0, 0.7 * colour + 0.3 * structure))


def sample_frames(media: str | Path, samples: int = 8, *,
                  nearby: bool = False) -> list[tuple[float, object]]:
    """``samples`` evenly spaced frames of a clip (or the image itself) as ``(time_s, PIL image)``.

    ``nearby``: the decoder skips frames no other frame is predicted from (most B-frames:
    about half the decoding work), so each sample is the first frame decoded at or after
    its time, usually a frame or two later. The frames decoded are exact; a clip where the
    skipped frames leave gaps over a quarter second is decoded in full instead."""
    from PIL import Image

    media = Path(media)
    if not media.exists():
        raise MediaError(f"{media}: no such file")
    if media.suffix.lower() in _IMAGE_SUFFIXES:
        try:
            with Image.open(media) as im:
                return [(0.0, im.convert("RGB"))]
        except OSError as exc:
            raise MediaError(f"{media}: not a readable image ({exc})") from exc
    from ministudio.media.probe import probe

    info = probe(media)
    if not info.has_video:
        raise MediaError(f"{media}: has no video stream")
    duration = info.video_duration_s or info.duration_s
    n = max(1, samples)
    targets = [info.video_start_s + duration * (i + 0.5) / n for i in range(n)]
    out = _decode_at(media, targets, info, skip_nonref=nearby)
    if out is None:
        out = _decode_at(media, targets, info, skip_nonref=False) or []
    if not out:
        raise MediaError(f"{media}: no decodable frames")
    return out


#: with skipped frames, the longest gap between decoded frames still sampled as ``nearby``
_NEARBY_GAP_S = 0.25


def _decode_at(media: Path, targets: list[float], info: Any,
               skip_nonref: bool) -> list[tuple[float, object]] | None:
    """The first frame at or after each target time (half a frame early counts); None when
    skipping non-reference frames left a gap over :data:`_NEARBY_GAP_S` before a sample."""
    import av

    out: list[tuple[float, object]] = []
    with av.open(str(media)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        k, last = 0, None
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * stream.time_base)
            if k < len(targets) and t + 0.5 / (info.fps or 24) >= targets[k]:
                if skip_nonref and last is not None and t - last > _NEARBY_GAP_S:
                    return None
            while k < len(targets) and t + 0.5 / (info.fps or 24) >= targets[k]:
                out.append((t - info.video_start_s, frame.to_image()))
                k += 1
            if k >= len(targets):
                break
            last = t
    if skip_nonref and len(out) < len(targets):
        return None  # the clip's last frames were skipped: decode them
    return out


def look_score(
    media: str | Path,
    references: Sequence[str | Path],
    *,
    samples: int = 8,
    threshold: float = LOOK_THRESHOLD,
    frames: Sequence[tuple[float, Any]] | None = None,
) -> IdentityScore:
    """Score a clip or image against reference images (best reference per frame).

    ``score`` is the median over frames, ``p10`` the 10th percentile, ``minimum`` the worst
    frame. ``kind`` is ``"look"``: colour/structure continuity, not identity. ``frames``:
    ``media``'s frames already decoded as ``(time_s, PIL image)`` (as :func:`sample_frames`
    returns them), so a caller that has them does not decode the clip again.
    """
    import numpy as np
    from PIL import Image

    if not references:
        raise MediaError("look score needs at least one reference image")
    refs = []
    for ref in references:
        ref = Path(ref)
        if ref.suffix.lower() in _IMAGE_SUFFIXES:
            try:
                with Image.open(ref) as im:
                    refs.append(_features(im))
            except (OSError, FileNotFoundError) as exc:
                raise MediaError(f"{ref}: not a readable image ({exc})") from exc
        else:
            refs.extend(_features(img) for _, img in sample_frames(ref, 1))
    if frames is None:
        frames = sample_frames(media, samples)
    scores = []
    for _, img in frames:
        hist, gray = _features(img)
        best = 0.0
        for rh, rg in refs:
            colour = float(np.minimum(hist, rh).sum())
            structure = max(0.0, _ssim(gray, rg))
            best = max(best, 0.7 * colour + 0.3 * structure)
        scores.append(min(1.0, best))
    return IdentityScore.from_samples(
        scores,
        scorer=SCORER,
        kind="look",
        threshold=threshold,
        frames_used=[t for t, _ in frames],
        note="colour/structure continuity, NOT a face identity score",
    )
