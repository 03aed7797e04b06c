"""The anchor frame: the last *sharp* frame of a clip, saved losslessly as PNG.

A continued shot starts from the previous shot's anchor frame. Fades and motion blur in the
last ``search_window_s`` seconds are skipped: every frame in the window is decoded exactly
(seek to the last keyframe at least half a window before the end, decode forward, so
single-keyframe clips are correct too; when that keyframe is inside the window, the window
starts there, so only the last group of pictures is decoded; non-reference frames before
the window are not decoded at all) and scored by the variance of its luma Laplacian; the chosen frame is the latest
one at least ``sharp_ratio`` times as sharp as the sharpest frame in the window (scored at
half resolution: a quarter of the pixels, the same verdict on blur and fades). Results
are cached by the clip's content hash, so asking twice costs one hash.

:func:`validate_and_anchor` does validation and anchor in *one* decode pass: every frame is
decoded once to validate the clip (:func:`~ministudio.media.probe.validate_clip`) and the
frames of the last window are kept for the choice, so a continued shot's start frame exists
as soon as the clip is known to be good. Full decodes run at most ``decode_slots()`` at a
time in a process (each one already uses the decoder's threads), however many worker
threads ask, which bounds their memory.
"""

from __future__ import annotations

import collections
import json
import os
import threading
from pathlib import Path
from typing import Any

from ministudio.errors import MediaError
from ministudio.log import get_logger
from ministudio.media.atomic import atomic_output, write_text_atomic
from ministudio.media.probe import MediaInfo, file_digest, media_info, open_media, validate_clip
from ministudio.requests import AnchorFrame

__all__ = [
    "decode_slots",
    "extract_anchor_frame",
    "laplacian_variance",
    "preload",
    "validate_and_anchor",
]

log = get_logger(__name__)

METHOD = "last-sharp-frame/v3"


def preload() -> None:
    """Import what decoding clips and saving frames needs (PyAV, NumPy, Pillow's PNG writer).

    A render calls this in a worker thread while its first requests are out, so the first
    delivered clip's anchor frame, on a chain's critical path, does not wait for imports."""
    import av  # noqa: F401
    import numpy  # noqa: F401
    import PIL.Image
    import PIL.PngImagePlugin  # noqa: F401

    PIL.Image.init()


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


def _sharpness(frame) -> float:  # type: ignore[no-untyped-def]
    """Laplacian variance of the luma at half resolution, in integers: blur and fades show
    just as clearly, at a quarter of the pixels (it is only compared within one window)."""
    import numpy as np

    y = np.asarray(_luma(frame))[::2, ::2].astype(np.int16)
    if y.shape[0] < 3 or y.shape[1] < 3:
        return 0.0
    lap = y[1:-1, :-2] + y[1:-1, 2:] + y[:-2, 1:-1] + y[2:, 1:-1] - 4 * y[1:-1, 1:-1]
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
    clip = Path(clip)
    output_dir = Path(output_dir)
    with open_media(clip) as container:  # one open for the headers and the tail's decode
        info = media_info(clip, container)
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
        window, skipped = _decode_tail(clip, start + duration, search_window_s, fps,
                                       skip_before=True, container=container)
    if skipped and window[-1][0] < start + duration - 1.5 / fps:
        # the last frame decoded is not the clip's last (the duration promised more, or the
        # true last frame was a skipped non-reference one): decode again, skipping nothing
        window, _ = _decode_tail(clip, start + duration, search_window_s, fps,
                                 skip_before=False)
    return _save(clip, window, start, fps, sharp_ratio, png)


def _window_start(keyframe: float | None, end: float, search_window_s: float) -> float:
    """Where the search window starts: ``search_window_s`` before ``end``, or at ``keyframe``
    (the last keyframe at least half a window before the end) when that is later: the window
    then still spans at least half of ``search_window_s``, and only the last group of
    pictures needs decoding."""
    first = end - search_window_s
    return max(first, keyframe) if keyframe is not None else first


def _decode_tail(clip: Path, end: float, search_window_s: float, fps: float, *,
                 skip_before: bool, container: Any = None) -> tuple[list, bool]:  # type: ignore[type-arg]
    """Decode the end of ``clip`` (``end``: where its video ends) and return the frames of
    the search window (see :func:`_window_start`) as ``(time, frame, None)``, in order, the
    last decoded frame always among them, and whether any packet was skipped.

    Decoding starts at a keyframe no later than half a window before the end.
    ``skip_before``: frames before the last ``search_window_s`` that no other frame refers to
    (most B-frames) are not decoded at all: nothing in the window depends on them, so its
    pixels are the same, for less work. The choice is made per packet, from its
    presentation time, before the decoder sees it. ``container``: the clip already open and
    not yet decoded from (it is left open), or ``None`` to open it here."""
    import contextlib

    import av

    half = end - search_window_s / 2
    # never skip the last two frame periods (a window of 0 still decodes the true last frame)
    skip_until = min(end - search_window_s, end - 2.0 / fps) - 0.5 / fps
    frames: collections.deque[tuple[float, Any]] = collections.deque()
    key: float | None = None
    skipped = False
    try:
        with (contextlib.nullcontext(container) if container is not None
              else av.open(str(clip))) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            cc = stream.codec_context
            tb = stream.time_base
            skipping = None
            for packet in _demux_from_keyframe_before(container, stream, half):
                if skip_before and packet.pts is not None:
                    skip = float(packet.pts * tb) < skip_until
                    if skip is not skipping:
                        cc.skip_frame = "NONREF" if skip else "DEFAULT"
                        skipping = skip
                    skipped = skipped or skip
                for frame in packet.decode():
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * tb)
                    if frames and t <= frames[-1][0]:
                        continue
                    if frame.key_frame and t <= half + 1e-6:
                        key = t
                    frames.append((t, frame))
                    while len(frames) > 1 and frames[0][0] < end - search_window_s - 1e-6:
                        frames.popleft()  # before any window: not needed
    except av.error.FFmpegError as exc:
        raise MediaError(f"{clip}: cannot decode the end of the clip ({exc})") from exc
    if not frames:
        raise MediaError(f"{clip}: no decodable frame near the end")
    return _window(frames, key, end, search_window_s), skipped


def _window(frames: Any, key: float | None, end: float, search_window_s: float) -> list:  # type: ignore[type-arg]
    """The search window's ``(time, frame, None)`` from decoded ``(time, frame)`` in order;
    the last decoded frame is always in it."""
    first = _window_start(key, end, search_window_s) - 1e-6
    window = [(t, f, None) for t, f in frames if t >= first]
    last = frames[-1]
    if not window or window[-1][0] != last[0]:
        window.append((last[0], last[1], None))
    return window


def _demux_from_keyframe_before(container: Any, stream: Any, at: float) -> Any:
    """Packets of ``stream`` from a keyframe whose presentation time is at or before ``at``
    (the demuxer's index is searched by decode time, so a seek can land on a keyframe shown
    just after ``at``: then it seeks again, earlier)."""
    import itertools

    target = at
    while target > 0:
        container.seek(int(target / stream.time_base), stream=stream, backward=True,
                       any_frame=False)
        packets = container.demux(stream)
        lead = []  # up to the first packet with a time, all kept for the decoder
        for packet in packets:
            lead.append(packet)
            if packet.pts is not None:
                break
        if not lead or lead[-1].pts is None:
            break
        pts = float(lead[-1].pts * stream.time_base)
        if pts <= at + 1e-6:
            return itertools.chain(lead, packets)
        target = min(target, pts) - 0.25
    container.seek(0, stream=stream, backward=True, any_frame=False)
    return container.demux(stream)


def _save(clip: Path, window: list, start: float, fps: float, sharp_ratio: float,  # type: ignore[type-arg]
          png: Path) -> AnchorFrame:
    """Pick the latest sharp frame of ``window`` ((time, frame, _) in order) and write it."""
    scored = [(t, f, _sharpness(f)) for t, f, _ in window]
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
    write_text_atomic(png.with_suffix(".json"), json.dumps(record))
    log.debug("anchor.extracted", clip=str(clip), time_s=record["time_s"], frame=index,
              skipped=len(scored) - 1 - scored.index(chosen))
    return AnchorFrame(path=png, **record)


_SLOT_COUNT = max(2, (os.cpu_count() or 2) // 2)
_SLOTS = threading.BoundedSemaphore(_SLOT_COUNT)


def decode_slots() -> int:
    """How many full-clip decodes :func:`validate_and_anchor` runs at once in this process
    (half the CPUs, at least two: each decode already runs on the decoder's threads, and
    two chains finishing together should not wait for each other)."""
    return _SLOT_COUNT


def validate_and_anchor(
    clip: str | Path,
    output_dir: str | Path,
    *,
    expected_duration_s: float | None = None,
    tolerance_s: float | None = None,
    require_audio: bool = False,
    search_window_s: float = 0.5,
    sharp_ratio: float = 0.6,
) -> tuple[MediaInfo, AnchorFrame]:
    """Validate ``clip`` (every frame and audio packet decoded, as :func:`validate_clip`) and
    save its anchor frame (as :func:`extract_anchor_frame` would choose it) from that same
    decode pass. Returns ``(info, anchor)``; raises :class:`MediaError` for a bad clip and
    writes nothing then. The PNG is ``output_dir/anchor-<clip stem>-<window tag>.png`` (give
    each clip its own folder when stems can repeat); no content hash is computed (storing the
    clip is the caller's, off the critical path)."""
    clip = Path(clip)
    output_dir = Path(output_dir)
    keep: collections.deque[tuple[float, Any]] = collections.deque(maxlen=256)
    keys: list[float] = []  # keyframe times
    clock: dict[str, Any] = {}

    def on_frame(frame: Any) -> None:
        if frame.pts is None:
            return
        if "tb" not in clock:
            clock["tb"] = frame.time_base
        t = float(frame.pts * clock["tb"])
        if keep and t <= keep[-1][0]:
            return
        if frame.key_frame:
            keys.append(t)
        keep.append((t, frame))
        # only the frames that can still fall into the final window are held
        while len(keep) > 2 and keep[1][0] < t - search_window_s - 1e-6:
            keep.popleft()

    with _SLOTS:
        info = validate_clip(clip, expected_duration_s=expected_duration_s,
                             tolerance_s=tolerance_s, require_audio=require_audio,
                             on_video_frame=on_frame)
    if not keep:
        raise MediaError(f"{clip}: no decodable frame near the end")
    start = info.video_start_s
    duration = info.video_duration_s or info.duration_s
    edge = min(start + duration, keep[-1][0] + 1.0 / (info.fps or 24.0))
    # the same window as extract_anchor_frame's: from the tail's keyframe when it is later
    half = start + duration - search_window_s / 2
    key = max((t for t in keys if t <= half + 1e-6), default=None)
    window = _window(keep, key, edge, search_window_s)
    tag = f"w{int(round(search_window_s * 1000))}r{int(round(sharp_ratio * 100))}"
    output_dir.mkdir(parents=True, exist_ok=True)
    png = output_dir / f"anchor-{clip.stem}-{tag}.png"
    return info, _save(clip, window, start, info.fps or 24.0, sharp_ratio, png)
