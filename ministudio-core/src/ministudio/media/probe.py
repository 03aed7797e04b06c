"""Probing and validating media files (the ``ffprobe`` of MiniStudio, on PyAV).

:func:`probe` reads container and stream headers; :func:`validate_clip` additionally decodes
every video frame and audio packet, so that empty, truncated, non-video, wrong-length and
damaged files (right size, valid header, broken in the middle) are rejected with a one-line
:class:`~ministudio.errors.MediaError` before they are stored, cached or assembled.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from ministudio.errors import MediaError

__all__ = ["MediaInfo", "file_digest", "probe", "validate_clip"]

_TEXT_MAGIC = (b"<", b"{", b"[", b"\xef\xbb\xbf<")


@attrs.frozen(kw_only=True)
class MediaInfo:
    """What a media file contains. Times are seconds; ``fps`` is the average frame rate."""

    path: Path
    size_bytes: int
    container: str
    duration_s: float
    has_video: bool = False
    video_codec: str | None = None
    width: int = 0
    height: int = 0
    fps: float = 0.0
    fps_fraction: Fraction | None = None
    pix_fmt: str | None = None
    profile: str | None = None
    video_time_base: Fraction | None = None
    video_duration_s: float | None = None
    video_start_s: float = 0.0
    #: frame count from the container index (``validate_clip`` counts packets instead)
    frames: int = 0
    #: keyframes counted while demuxing (``validate_clip`` only; 0 after a plain ``probe``)
    keyframes: int = 0
    #: sha256 of the decoder configuration (H.264 SPS/PPS): equal means stream-copy compatible
    video_config: str | None = None
    has_audio: bool = False
    audio_codec: str | None = None
    audio_rate: int = 0
    audio_channels: int = 0
    audio_duration_s: float | None = None
    is_image: bool = False

    @property
    def av_offset_s(self) -> float | None:
        """Audio duration minus video duration (None without both streams)."""
        if self.audio_duration_s is None or self.video_duration_s is None:
            return None
        return self.audio_duration_s - self.video_duration_s


def file_digest(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """sha256 of a file's content, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _sniff(path: Path) -> None:
    if not path.exists():
        raise MediaError(f"{path}: no such file")
    if not path.is_file():
        raise MediaError(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"{path}: file is empty (0 bytes)")
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
    if head.startswith(_TEXT_MAGIC) or head[:9].lower() in (b"<!doctype", b"<html>"):
        preview = head[:40].decode("utf-8", "replace").replace("\n", " ")
        raise MediaError(
            f"{path}: not a media file, it looks like a text/HTML/JSON document ({preview!r}...)",
            hint="the provider probably returned an error page instead of a video",
        )


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def probe(path: str | Path) -> MediaInfo:
    """Read a media file's headers. Raises :class:`MediaError` if it is not readable media."""
    with open_media(Path(path)) as container:
        return media_info(Path(path), container)


def open_media(path: Path):  # type: ignore[no-untyped-def]
    """``path`` opened with PyAV (a context manager), after the checks :func:`probe` makes
    first (not empty, not a text or HTML page); :class:`MediaError` when it cannot be."""
    import av

    _sniff(path)
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path}: not a readable media file ({_reason(exc)})") from exc


def media_info(path: Path, container) -> MediaInfo:  # type: ignore[no-untyped-def]
    """:func:`probe`'s answer from an open ``container`` (nothing decoded)."""
    fields: dict = {
        "path": path,
        "size_bytes": path.stat().st_size,
        "container": container.format.name,
        "duration_s": 0.0 if container.duration is None else container.duration / 1_000_000,
    }
    if container.streams.video:
        v = container.streams.video[0]
        cc = v.codec_context
        rate = v.average_rate or v.guessed_rate or v.base_rate
        fields.update(
            has_video=True,
            video_codec=cc.name,
            width=cc.width,
            height=cc.height,
            fps=float(rate) if rate else 0.0,
            fps_fraction=Fraction(rate) if rate else None,
            pix_fmt=cc.format.name if cc.format else None,
            profile=cc.profile,
            video_time_base=v.time_base,
            video_duration_s=_seconds(v.duration, v.time_base),
            video_start_s=_seconds(v.start_time, v.time_base) or 0.0,
            frames=v.frames or 0,
            video_config=hashlib.sha256(bytes(cc.extradata or b"")).hexdigest(),
            is_image=container.format.name.endswith("_pipe")
            or container.format.name in ("image2", "png", "apng"),
        )
    if container.streams.audio:
        a = container.streams.audio[0]
        fields.update(
            has_audio=True,
            audio_codec=a.codec_context.name,
            audio_rate=a.codec_context.sample_rate or a.rate or 0,
            audio_channels=a.codec_context.channels,
            audio_duration_s=_seconds(a.duration, a.time_base),
        )
    if not fields["duration_s"]:
        fields["duration_s"] = fields.get("video_duration_s") or fields.get(
            "audio_duration_s") or 0.0
    return MediaInfo(**fields)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "]" in text and text.startswith("["):
        text = text.split("]", 1)[1]
    return text.strip().rstrip(":").strip() or type(exc).__name__


def validate_clip(
    path: str | Path,
    *,
    expected_duration_s: float | None = None,
    tolerance_s: float | None = None,
    require_audio: bool = False,
    decode_all: bool = True,
    on_video_frame: Callable[[Any], None] | None = None,
) -> MediaInfo:
    """Check that ``path`` is a complete, decodable video clip and return its :class:`MediaInfo`.

    Every video frame and every audio packet is decoded (video with the decoder's own threads),
    so a file damaged in the middle is refused even when its size and headers are right.
    ``on_video_frame`` is called with every decoded video frame (in presentation order), so a
    caller can keep what it needs from the same decode pass (the anchor frame, see
    :func:`~ministudio.media.anchor.validate_and_anchor`).
    ``decode_all=False`` demuxes every packet but decodes only up to the first video frame:
    for files whose bytes were already fully checked (media from the content-addressed store,
    verified by hash).
    Rejects (with :class:`MediaError`): missing or zero-byte files, text/HTML error pages,
    unreadable containers, files without a video stream, truncated files (fewer packets than
    the index promises, or a read error while demuxing), a packet the decoder refuses or a
    frame it marks corrupt, fewer decoded frames than packets, and a duration further than
    ``tolerance_s`` from ``expected_duration_s`` (default tolerance: the larger of 0.5 s and
    5 %).
    """
    import av

    path = Path(path)
    packets = keyframes = frames = 0
    with open_media(path) as container:  # one open for the headers and the decode
        info = media_info(path, container)
        if not info.has_video or info.is_image:
            raise MediaError(f"{path}: has no video stream ({info.container})")
        if info.width <= 0 or info.height <= 0:
            raise MediaError(f"{path}: video stream has no frame size")
        if require_audio and not info.has_audio:
            raise MediaError(f"{path}: has no audio stream")
        v = container.streams.video[0]
        v.thread_type = "AUTO"
        if on_video_frame is None:
            # nobody looks at the pixels: deblocking is skipped (about 15 % less CPU); every
            # macroblock is still parsed and decoded, so damage is found all the same
            v.codec_context.options = {"skip_loop_filter": "all"}
        streams = [v, *container.streams.audio[:1]] if decode_all else [v]
        pkt = None
        first = not decode_all
        try:
            for pkt in container.demux(*streams):
                is_video = pkt.stream.index == v.index
                if is_video and pkt.size and (pkt.dts is not None or pkt.pts is not None):
                    packets += 1
                    keyframes += bool(pkt.is_keyframe)
                if first:
                    if frames == 0:
                        frames += bool(pkt.decode())
                        if packets > 64 and not frames:
                            raise MediaError(
                                f"{path}: video does not decode (no frame in 64 packets)")
                    continue
                for frame in pkt.decode():  # the empty packet at the end drains the decoder
                    if frame.is_corrupt:
                        raise MediaError(f"{path}: corrupt {pkt.stream.type} "
                                         f"{_at(frame.pts, pkt.stream.time_base)}")
                    frames += is_video
                    if is_video and on_video_frame is not None:
                        on_video_frame(frame)
        except av.error.FFmpegError as exc:
            where = (f"{pkt.stream.type} {_at(pkt.pts, pkt.stream.time_base)}"
                     if pkt is not None else "stream")
            raise MediaError(f"{path}: truncated or corrupt {where} ({_reason(exc)})") from exc
    if packets == 0:
        raise MediaError(f"{path}: video stream has no frames (truncated?)")
    if info.frames and packets < info.frames:
        raise MediaError(
            f"{path}: truncated: {packets} of {info.frames} video frames are present"
        )
    if decode_all and frames < packets:
        raise MediaError(f"{path}: corrupt video: only {frames} of {packets} frames decode")
    duration = info.video_duration_s or info.duration_s
    if expected_duration_s is not None:
        tol = tolerance_s if tolerance_s is not None else max(0.5, 0.05 * expected_duration_s)
        if abs(duration - expected_duration_s) > tol:
            raise MediaError(
                f"{path}: duration {duration:.3f}s, expected {expected_duration_s:g}s "
                f"(tolerance {tol:g}s)"
            )
    return attrs.evolve(info, frames=packets, keyframes=keyframes)


def _at(pts: int | None, time_base: Fraction | None) -> str:
    t = _seconds(pts, time_base)
    return "data" if t is None else f"at {t:.2f}s"
