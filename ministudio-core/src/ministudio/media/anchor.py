"""The anchor frame: the last *sharp* frame of a clip, saved losslessly as PNG.

A continued shot starts from the previous shot's anchor frame. Fades and motion blur in the
last ``search_window_s`` seconds are skipped: every frame in the window is decoded exactly
(seek to the keyframe before the window, decode forward, so single-keyframe clips are
correct too) and scored by the variance of its luma Laplacian; the chosen frame is the latest
one at least ``sharp_ratio`` times as sharp as the sharpest frame in the window. Results
are cached by the clip's content hash, so asking twice costs one hash.
"""

from __future__ import annotations

import json
from pathlib import Path

import structlog

from ministudio.errors import MediaError
from ministudio.media.atomic import atomic_output, write_text_atomic
from ministudio.media.probe import file_digest, probe
from ministudio.requests import AnchorFrame

__all__ = ["extract_anchor_frame", "laplacian_variance"]

log = structlog.get_logger(__name__)

METHOD = "last-sharp-frame/v1"


def laplacian_variance(luma) -> float:  # type: ignore[no-untyped-def]
    """Variance of the 4-neighbour Laplacian of a 2-D uint8/float array (a sharpness score)."""
    import numpy as np

    y = np.asarray(luma, dtype=np.float32)
    if y.shape[0] < 3 or y.shape[1] < 3:
        return 0.0
    lap = (
        y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4.0 * y[1:-1, 1:-1]
    )
    return float(lap.var())


def _luma(frame):  # type: ignore[no-untyped-def]
    import numpy as np

    if frame.format.name in ("yuv420p", "yuvj420p", "yuv422p", "yuv444p", "gray", "nv12"):
        plane = frame.planes[0]
        arr = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        return arr[:, : frame.width]
    return frame.to_ndarray(format="gray")


def extract_anchor_frame(
    clip: str | Path,
    output_dir: str | Path,
    *,
    search_window_s: float = 0.5,
    sharp_ratio: float = 0.6,
    use_cache: bool = True,
) -> AnchorFrame:
    """Save the last sharp frame of ``clip`` as ``output_dir/anchor-<hash>.png``.

    ``search_window_s=0`` takes the true last frame. Raises :class:`MediaError` for a clip
    that is not readable video.
    """
    import av

    clip = Path(clip)
    output_dir = Path(output_dir)
    info = probe(clip)
    if not info.has_video:
        raise MediaError(f"{clip}: has no video stream")
    digest = file_digest(clip)[:20]
    tag = f"w{int(round(search_window_s * 1000))}r{int(round(sharp_ratio * 100))}"
    png = output_dir / f"anchor-{digest}-{tag}.png"
    meta = png.with_suffix(".json")
    if use_cache and png.exists() and meta.exists():
        try:
            data = json.loads(meta.read_text())
            return AnchorFrame(path=png, **data)
        except (ValueError, TypeError):
            pass  # a damaged sidecar: recompute
    output_dir.mkdir(parents=True, exist_ok=True)

    duration = info.video_duration_s or info.duration_s
    start = info.video_start_s
    fps = info.fps or 24.0
    # seek a little before the window so the decoder has a keyframe and the window is full
    seek_to = max(0.0, start + duration - search_window_s - 2.0 / fps)
    window: list = []  # (time, frame, sharpness) for frames inside the search window
    last = None
    try:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if seek_to > 0:
                container.seek(
                    int(seek_to / stream.time_base), stream=stream, backward=True, any_frame=False
                )
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float(frame.pts * stream.time_base)
                if last is not None and t <= last[0]:
                    continue
                last = (t, frame)
                if t >= start + duration - search_window_s - 1e-6:
                    window.append((t, frame, None))
    except av.error.FFmpegError as exc:
        raise MediaError(f"{clip}: cannot decode the end of the clip ({exc})") from exc
    if last is None:
        raise MediaError(f"{clip}: no decodable frame near the end")
    if not window or window[-1][0] != last[0]:
        window.append((last[0], last[1], None))
    scored = [(t, f, laplacian_variance(_luma(f))) for t, f, _ in window]
    best = max(s for _, _, s in scored)
    chosen = next(
        (item for item in reversed(scored) if item[2] >= sharp_ratio * best), scored[-1]
    )
    t, frame, sharpness = chosen
    index = int(round((t - start) * fps))
    with atomic_output(png) as tmp:
        frame.to_image().save(tmp, format="PNG", compress_level=1)
    record = {
        "time_s": round(t - start, 6),
        "frame_index": index,
        "width": frame.width,
        "height": frame.height,
        "sharpness": round(sharpness, 3),
        "method": METHOD,
    }
    write_text_atomic(meta, json.dumps(record))
    log.debug("anchor.extracted", clip=str(clip), time_s=record["time_s"], frame=index,
              skipped=len(scored) - 1 - scored.index(chosen))
    return AnchorFrame(path=png, **record)
