"""Assembling shots into a film: video stream copy (odd clips normalised alone), one
continuous mixed AAC track, transitions, and subtitles, written atomically.

Timeline
    Shot ``k`` starts at ``S_k``; with cuts ``S_k = S_{k-1} + D_{k-1}``; a crossfade into
    shot ``k`` overlaps it with the end of shot ``k-1`` by ``transition_s`` (whole frames);
    a ``fade`` (through black) takes the same overlap: its first half darkens shot ``k-1``
    to black, its second brings shot ``k`` up from black.
    Audio positions are derived from the same numbers in samples
    (``round(S_k * rate)``), so audio and video can never drift apart.

Video
    *copy*: a clip with the film's codec, size, frame rate and pixel format is remuxed with
    shifted timestamps, nothing decoded; one from other encoder settings (B-frames, profile,
    another encoder) carries its SPS/PPS in-band at its first packet. A clip that differs
    (size, rate, codec, a full-range ``yuvj420p`` one) is re-encoded *alone* to the film's
    parameters on a worker thread while the others are copied. *re-encode*: crossfades,
    burn-in, or no clip to copy: frames are decoded one at a time, resampled to the film's
    frame rate, scaled (and letterboxed) to its size, and encoded once with
    ``settings.codec``/``crf``/``preset``.

Audio
    Never stream-copied: each clip's own AAC track starts with 1024 priming samples, so
    concatenating packets drifts ~21 ms per shot. Instead every shot's sound is decoded (the
    decoder drops priming), trimmed/padded to exactly the shot's length (silence where a clip
    has none), normalised to ``bed_lufs``, ducked by ``duck_db`` around each speech
    placement (ramps start *before* the speech, since all placements are known), mixed with
    the speech normalised to ``speech_lufs``, soft-limited under ``ceiling_db`` and encoded by
    one AAC encoder for the whole film.

Memory
    At most one shot's audio (plus any speech still playing), the frames of one crossfade and
    the muxer's interleaving queue are held: memory is flat in the number of shots.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from ministudio.errors import MediaError
from ministudio.log import get_logger
from ministudio.media.atomic import atomic_output
from ministudio.media.probe import MediaInfo, probe, validate_clip
from ministudio.media.subtitles import MOV_TEXT_HEADER, Cue, mov_text_payload

__all__ = [
    "AssemblyResult",
    "AssemblySettings",
    "AssemblyShot",
    "ShotPlacement",
    "SpeechPlacement",
    "assemble",
]

log = get_logger(__name__)

_CODEC_FAMILY = {"libx264": "h264", "h264": "h264", "libx265": "hevc", "hevc": "hevc",
                 "libvpx-vp9": "vp9", "libsvtav1": "av1", "libaom-av1": "av1", "mpeg4": "mpeg4"}
_TRANSITIONS = ("cut", "crossfade", "fade")


def _path(v: str | Path) -> Path:
    return Path(v)


@attrs.frozen(kw_only=True)
class SpeechPlacement:
    """A speech WAV (narration or a dialogue line) starting ``start_s`` after its shot starts.
    It may run past the end of its shot (narration over a cut)."""

    wav: Path = attrs.field(converter=_path)
    start_s: float = 0.0
    gain_db: float = 0.0


@attrs.frozen(kw_only=True)
class AssemblyShot:
    """One shot of the film. ``transition`` is how this shot is entered from the previous one."""

    clip: Path = attrs.field(converter=_path)
    speech: tuple[SpeechPlacement, ...] = attrs.field(default=(), converter=tuple)
    keep_clip_audio: bool = True
    transition: str = attrs.field(default="cut", validator=attrs.validators.in_(_TRANSITIONS))
    transition_s: float = 0.5
    label: str = ""


@attrs.frozen(kw_only=True)
class AssemblySettings:
    """The film's format and mix. Loudness targets are integrated LUFS (ITU-R BS.1770)."""

    width: int
    height: int
    fps: int = 24
    codec: str = "libx264"
    crf: int = 20
    preset: str = "veryfast"
    pix_fmt: str = "yuv420p"
    audio_rate: int = 48000
    audio_channels: int = 2
    audio_bitrate: int = 160_000
    speech_lufs: float = -16.0
    bed_lufs: float = -23.0
    duck_db: float = 10.0
    duck_attack_s: float = 0.15
    duck_release_s: float = 0.35
    ceiling_db: float = -1.0
    subtitles: tuple[Cue, ...] = attrs.field(default=(), converter=tuple)
    subtitle_language: str = "eng"
    burn_in: bool = False
    #: re-encode even when stream copy would be possible
    force_reencode: bool = False
    #: move the index to the front (progressive playback); costs one extra file pass
    faststart: bool = True


@attrs.frozen(kw_only=True)
class ShotPlacement:
    clip: Path
    start_s: float
    duration_s: float
    has_clip_audio: bool


@attrs.frozen(kw_only=True)
class AssemblyResult:
    """What :func:`assemble` wrote. ``mode`` is ``copy`` (clips normalised alone are named in
    ``reason``) or ``reencode`` (``reason`` says why)."""

    path: Path
    mode: str
    reason: str
    duration_s: float
    video_duration_s: float
    audio_duration_s: float
    #: audio minus video duration of the output, measured by probing it
    av_offset_s: float
    frames: int
    shots: tuple[ShotPlacement, ...]
    subtitle_cues: int = 0
    warnings: tuple[str, ...] = ()


# -- planning ------------------------------------------------------------------------------


def _film_blockers(shots: Sequence[AssemblyShot], s: AssemblySettings) -> list[str]:
    """Reasons to re-encode the whole film (every frame passes through the encoder)."""
    why: list[str] = []
    if s.force_reencode:
        why.append("re-encode forced")
    if s.burn_in and s.subtitles:
        why.append("burn-in subtitles")
    for kind in sorted({sh.transition for sh in shots[1:]} - {"cut"}):
        why.append(f"{kind} transition")
    return why


def _clip_mismatch(info: MediaInfo, s: AssemblySettings) -> str | None:
    """Why this clip cannot be stream-copied into the film (it is then normalised alone)."""
    family = _CODEC_FAMILY.get(s.codec, s.codec)
    name = info.path.name
    if info.video_codec != family:
        return f"{name}: codec {info.video_codec} (film: {family})"
    if (info.width, info.height) != (s.width, s.height):
        return f"{name}: size {info.width}x{info.height} (film: {s.width}x{s.height})"
    if info.fps_fraction != s.fps:
        return f"{name}: {info.fps:g} fps (film: {s.fps})"
    if info.pix_fmt != s.pix_fmt:
        return f"{name}: pixel format {info.pix_fmt} (film: {s.pix_fmt})"
    return None


def _parameter_sets(path: Path) -> tuple[int, bytes] | None:
    """An H.264 clip's NAL length size and its SPS/PPS as length-prefixed NAL units (read
    from the avcC record), or ``None`` when the clip has no usable avcC."""
    import av

    with av.open(str(path)) as c:
        data = bytes(c.streams.video[0].codec_context.extradata or b"")
    return _split_avcc(data)


def _split_avcc(data: bytes) -> tuple[int, bytes] | None:
    if len(data) < 7 or data[0] != 1:
        return None
    size = (data[4] & 3) + 1
    pos, nals = 5, []
    try:
        for count_mask in (0x1F, 0xFF):  # SPS count (5 bits), then PPS count
            count = data[pos] & count_mask
            pos += 1
            for _ in range(count):
                n = int.from_bytes(data[pos: pos + 2], "big")
                nal = data[pos + 2: pos + 2 + n]
                if len(nal) != n or not n:
                    return None
                nals.append(nal)
                pos += 2 + n
    except IndexError:
        return None
    return size, b"".join(len(nal).to_bytes(size, "big") + nal for nal in nals)


@attrs.frozen
class _Source:
    """Where shot ``k``'s video comes from: the clip itself, or its normalised copy
    (``pending`` until the worker has written it)."""

    info: MediaInfo  # video as it will be muxed (a normalised clip: the predicted result)
    normalise: str | None = None  # why the clip is re-encoded alone
    pending: Any = None  # Future[Path] of the normalised file


def _copy_sources(infos: Sequence[MediaInfo], s: AssemblySettings
                  ) -> tuple[list[_Source], list[str]]:
    """Which clips can be stream-copied as they are, and which must be normalised first.

    A clip that matches the film's codec, size, frame rate and pixel format is copied even
    when its encoder settings differ (B-frames, profile, another encoder): its parameter
    sets (SPS/PPS) go in-band at its first packet, which every H.264 decoder follows.
    Everything else is re-encoded alone to the film's parameters, never the whole film.
    """
    sources, reasons = [], []
    template: MediaInfo | None = None
    template_size: int | None = None
    for info in infos:
        why = _clip_mismatch(info, s)
        if why is None and template is not None and (
                (info.video_config, info.video_time_base) != (template.video_config,
                                                              template.video_time_base)):
            ps = _parameter_sets(info.path) if info.video_codec == "h264" else None
            if ps is None or ps[0] != template_size:
                why = f"{info.path.name}: encoder parameters cannot be carried in-band"
        if why is None and template is None:
            template = info
            ps = _parameter_sets(info.path) if info.video_codec == "h264" else None
            template_size = ps[0] if ps else None
        if why is None:
            sources.append(_Source(info=info))
            continue
        n = max(1, int(round((info.video_duration_s or info.duration_s) * s.fps)))
        predicted = attrs.evolve(info, video_duration_s=n / s.fps, frames=n, video_start_s=0.0)
        sources.append(_Source(info=predicted, normalise=why))
        reasons.append(why)
    return sources, reasons


@attrs.frozen
class _Plan:
    starts_s: tuple[float, ...]
    durations_s: tuple[float, ...]
    frames: tuple[int, ...]  # per shot, in film frames (re-encode) or source frames (copy)
    overlaps: tuple[int, ...]  # crossfade frames into each shot
    total_s: float


def _plan(infos: Sequence[MediaInfo], shots: Sequence[AssemblyShot], s: AssemblySettings,
          copy: bool) -> _Plan:
    if copy:
        durs = [i.video_duration_s or i.frames / i.fps for i in infos]
        starts, t = [], 0.0
        for d in durs:
            starts.append(t)
            t += d
        return _Plan(tuple(starts), tuple(durs), tuple(i.frames for i in infos),
                     (0,) * len(infos), t)
    n = [max(1, int(round((i.video_duration_s or i.duration_s) * s.fps))) for i in infos]
    ov = [0]
    for k in range(1, len(shots)):
        sh = shots[k]
        ov.append(min(int(round(sh.transition_s * s.fps)), n[k - 1] // 2, n[k] // 2)
                  if sh.transition != "cut" else 0)
    starts_f, f = [], 0
    for k in range(len(shots)):
        f -= ov[k]
        starts_f.append(f)
        f += n[k]
    return _Plan(tuple(x / s.fps for x in starts_f), tuple(x / s.fps for x in n), tuple(n),
                 tuple(ov), f / s.fps)


# -- audio ---------------------------------------------------------------------------------


class _Mixer:
    """Streams the film's audio: accumulate bed and voice, flush finished regions to AAC."""

    def __init__(self, out, s: AssemblySettings, intervals: list[tuple[int, int]],
                 total: int) -> None:  # type: ignore[no-untyped-def]
        import av
        import numpy as np

        self.np, self.s, self.total = np, s, total
        self.intervals = intervals
        self.stream = out.add_stream("aac", rate=s.audio_rate)
        self.stream.layout = "mono" if s.audio_channels == 1 else "stereo"
        self.stream.bit_rate = s.audio_bitrate
        # FFmpeg's "fast" AAC coder: per its documentation worse only below 64 kbps, "better
        # and much faster at higher bitrates" than the default two-loop search (0.9 s instead
        # of 1.6 s of CPU for 64 s of stereo at 160 kbps)
        if s.audio_bitrate >= 64_000:
            self.stream.options = {"aac_coder": "fast"}
        self.layout = self.stream.layout.name
        self.av = av
        ch = s.audio_channels
        self.bed = np.zeros((ch, 0), np.float32)
        self.voice = np.zeros((ch, 0), np.float32)
        self.base = 0  # absolute sample index of bed[:, 0]
        self.pending = np.zeros((ch, 0), np.float32)  # < 1024 samples not yet encoded
        self.encoded = 0
        # AAC encoding runs on one worker thread (PyAV releases the GIL while encoding), so
        # it overlaps with decoding and measuring the next shot's audio on the main thread
        from concurrent.futures import ThreadPoolExecutor

        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aac")

    def _ensure(self, end: int) -> None:
        need = end - self.base - self.bed.shape[1]
        if need > 0:
            pad = ((0, 0), (0, need))
            self.bed = self.np.pad(self.bed, pad)
            self.voice = self.np.pad(self.voice, pad)

    def add(self, which: str, pos: int, data) -> None:  # type: ignore[no-untyped-def]
        end = min(pos + data.shape[1], self.total)
        if end <= pos:
            return
        data = data[:, : end - pos]
        if pos < self.base:
            data = data[:, self.base - pos:]
            pos = self.base
        self._ensure(end)
        acc = self.bed if which == "bed" else self.voice
        acc[:, pos - self.base: end - self.base] += data

    def flush(self, upto: int) -> tuple[float, Any] | None:
        """Mix ``[base, upto)`` and queue it for encoding; returns ``(start_s, future)`` whose
        result is the AAC packets, or ``None`` when there is nothing to do."""
        from ministudio.media.audio import duck_gain, soft_limit

        upto = min(upto, self.total)
        n = upto - self.base
        if n <= 0:
            return None
        start_s = (self.base - self.pending.shape[1]) / self.s.audio_rate
        self._ensure(upto)
        s = self.s
        gain = duck_gain(self.base, n, self.intervals, depth_db=s.duck_db,
                         attack=int(s.duck_attack_s * s.audio_rate),
                         release=int(s.duck_release_s * s.audio_rate))
        mix = soft_limit(self.bed[:, :n] * gain + self.voice[:, :n], s.ceiling_db)
        self.bed, self.voice = self.bed[:, n:], self.voice[:, n:]
        self.base = upto
        data = self.np.concatenate([self.pending, mix], axis=1)
        whole = data.shape[1] // 1024 * 1024
        final = upto >= self.total
        cut = data.shape[1] if final else whole
        self.pending = data[:, cut:]
        return start_s, self.worker.submit(self._encode_all, data[:, :cut], final)

    def _encode_all(self, data, final: bool) -> list:  # type: ignore[no-untyped-def, type-arg]
        # one frame per region: PyAV re-chunks it to the encoder's 1024-sample frames in C
        packets: list = self._encode(data) if data.shape[1] else []
        if final:
            packets += list(self.stream.encode(None))
        return packets

    def close(self) -> None:
        self.worker.shutdown(wait=True, cancel_futures=True)

    def _encode(self, chunk) -> list:  # type: ignore[no-untyped-def, type-arg]
        frame = self.av.AudioFrame.from_ndarray(
            self.np.ascontiguousarray(chunk, dtype=self.np.float32), format="fltp",
            layout=self.layout)
        frame.sample_rate = self.s.audio_rate
        frame.pts = self.encoded
        self.encoded += chunk.shape[1]
        return list(self.stream.encode(frame))


# -- video ---------------------------------------------------------------------------------


def _fit(frame, s: AssemblySettings):  # type: ignore[no-untyped-def]
    """Scale a decoded frame to the film size, letterboxed if the aspect ratio differs."""
    import av
    import numpy as np

    if (frame.width, frame.height) == (s.width, s.height) and frame.format.name == s.pix_fmt:
        return frame
    scale = min(s.width / frame.width, s.height / frame.height)
    w = max(2, int(round(frame.width * scale / 2)) * 2)
    h = max(2, int(round(frame.height * scale / 2)) * 2)
    if (w, h) == (s.width, s.height):
        # a full-range (yuvj*/JPEG) source is converted to the film's range, not relabelled
        full = s.pix_fmt.startswith("yuvj")
        return frame.reformat(width=w, height=h, format=s.pix_fmt,
                              src_color_range=frame.color_range or (2 if frame.format.name.startswith("yuvj") else 1),
                              dst_color_range=2 if full else 1)
    rgb = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    canvas = np.zeros((s.height, s.width, 3), np.uint8)
    y, x = (s.height - h) // 2, (s.width - w) // 2
    canvas[y: y + h, x: x + w] = rgb
    return av.VideoFrame.from_ndarray(canvas, format="rgb24")


def _shot_frames(clip: Path, info: MediaInfo, n: int, s: AssemblySettings) -> Iterator:
    """Exactly ``n`` frames at the film's rate (duplicating/dropping by timestamp)."""
    import av

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = info.video_start_s
        i = 0
        held = None
        for frame in container.decode(stream):
            if frame.pts is None:
                continue
            t = float(frame.pts * stream.time_base) - start
            # emit output frames whose time is before this frame's (nearest-earlier rule)
            while held is not None and i < n and (i + 0.5) / s.fps <= t:
                yield held
                i += 1
            if i >= n:
                return
            held = _fit(frame, s)
        while held is not None and i < n:  # pad the tail with the last frame
            yield held
            i += 1
    if held is None:
        raise MediaError(f"{clip}: no decodable video frames")


def _burn(frame, text: str, s: AssemblySettings):  # type: ignore[no-untyped-def]
    import av
    from PIL import ImageDraw, ImageFont

    image = frame.to_image()
    draw = ImageDraw.Draw(image)
    size = max(12, s.height // 18)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow < 10.1
        font = ImageFont.load_default()
    box = draw.multiline_textbbox((0, 0), text, font=font, align="center", stroke_width=2)
    x = (s.width - (box[2] - box[0])) // 2
    y = s.height - (box[3] - box[1]) - s.height // 12
    draw.multiline_text((x, y), text, font=font, fill=(255, 255, 255), align="center",
                        stroke_width=max(1, size // 12), stroke_fill=(0, 0, 0))
    return av.VideoFrame.from_ndarray(__import__("numpy").asarray(image), format="rgb24")


def _blend(a, b, alpha: float):  # type: ignore[no-untyped-def]
    import av
    import numpy as np

    x = a.to_ndarray(format="rgb24").astype(np.float32)
    y = b.to_ndarray(format="rgb24").astype(np.float32)
    out = (x * (1 - alpha) + y * alpha + 0.5).astype(np.uint8)
    return av.VideoFrame.from_ndarray(out, format="rgb24")


def _dip(a, b, alpha: float):  # type: ignore[no-untyped-def]
    """Fade through black at ``alpha`` of the way through the overlap: the outgoing frame
    ``a`` darkens to black over the first half, the incoming ``b`` rises from black over the
    second; the two pictures are never on screen together."""
    import av
    import numpy as np

    x = (a if alpha < 0.5 else b).to_ndarray(format="rgb24").astype(np.float32)
    out = (x * abs(1.0 - 2.0 * alpha) + 0.5).astype(np.uint8)
    return av.VideoFrame.from_ndarray(out, format="rgb24")


# -- muxing --------------------------------------------------------------------------------


class _Interleaver:
    """Mux audio and subtitle packets in time order alongside the video packets."""

    def __init__(self, out, sub_stream, cues: Sequence[Cue]) -> None:  # type: ignore[no-untyped-def]
        self.out = out
        self.audio: list = []
        self.jobs: list[tuple[float, Any]] = []  # (start_s, future of AAC packets), in order
        self.sub_stream = sub_stream
        self.cues = list(cues)

    def video(self, pkt, t: float) -> None:  # type: ignore[no-untyped-def]
        self.drain(t)
        self.out.mux(pkt)

    def add_audio(self, job: tuple[float, Any] | None) -> None:
        if job is not None:
            self.jobs.append(job)

    def drain(self, t: float) -> None:
        while self.jobs and self.jobs[0][0] <= t:
            self.audio += self.jobs.pop(0)[1].result()
        while self.audio and float(self.audio[0].pts * self.audio[0].time_base) <= t:
            self.out.mux(self.audio.pop(0))
        while self.cues and self.sub_stream is not None and self.cues[0].start_s <= t:
            self._cue(self.cues.pop(0))

    def _cue(self, cue: Cue) -> None:
        import av

        pkt = av.Packet(mov_text_payload(cue.text))
        pkt.stream = self.sub_stream
        pkt.time_base = Fraction(1, 1000)
        pkt.pts = pkt.dts = int(round(cue.start_s * 1000))
        pkt.duration = max(1, int(round((cue.end_s - cue.start_s) * 1000)))
        self.out.mux(pkt)

    def finish(self) -> None:
        self.drain(math.inf)


def _clean_cues(cues: Sequence[Cue], total_s: float) -> list[Cue]:
    out: list[Cue] = []
    for cue in sorted(cues, key=lambda c: c.start_s):
        if cue.start_s >= total_s:
            continue
        end = min(cue.end_s, total_s)
        if out and out[-1].end_s > cue.start_s:  # mov_text cannot overlap
            prev = out[-1]
            out[-1] = attrs.evolve(prev, end_s=max(prev.start_s + 0.001, cue.start_s))
        if end > cue.start_s:
            out.append(attrs.evolve(cue, end_s=end))
    return out


def _write(output: Path, shots: Sequence[AssemblyShot], infos: Sequence[MediaInfo],
           s: AssemblySettings, sources: Sequence[_Source] | None,
           speech_info: dict[Path, float]) -> tuple[_Plan, list[str]]:
    """Write the film; ``sources`` (one per shot) means stream copy, ``None`` re-encode."""
    import av
    import numpy as np

    from ministudio.media.audio import ClipAudioReader, gain_to_lufs, read_audio

    copy = sources is not None
    plan = _plan([src.info for src in sources] if sources is not None else infos, shots, s, copy)
    rate, ch = s.audio_rate, s.audio_channels
    total = int(round(plan.total_s * rate))
    a_start = [int(round(x * rate)) for x in plan.starts_s]
    a_end = [int(round((x + d) * rate)) for x, d in zip(plan.starts_s, plan.durations_s, strict=True)]
    warnings: list[str] = []
    intervals, placements = [], []
    for k, shot in enumerate(shots):
        for sp in shot.speech:
            begin = int(round((plan.starts_s[k] + sp.start_s) * rate))
            end = begin + int(round(speech_info[sp.wav] * rate))
            if end > total:
                warnings.append(f"{sp.wav.name}: speech runs {(end - total) / rate:.2f}s past "
                                f"the end of the film and is cut")
            intervals.append((begin, min(end, total)))
            placements.append((k, begin, sp))
    cues = _clean_cues(s.subtitles, plan.total_s)
    options = {"movflags": "+faststart"} if s.faststart else {}
    with av.open(str(output), "w", format="mp4", options=options) as out:
        if sources is not None:
            template = next(src.info.path for src in sources if src.normalise is None)
            with av.open(str(template)) as first:
                vout = out.add_stream_from_template(first.streams.video[0])
            remux = _Remuxer(out, vout, _split_avcc(bytes(vout.codec_context.extradata or b"")))
        else:
            vout = out.add_stream(s.codec, rate=s.fps)
            vout.width, vout.height, vout.pix_fmt = s.width, s.height, s.pix_fmt
            vout.time_base = Fraction(1, s.fps)
            vout.options = {"crf": str(s.crf), "preset": s.preset}
            vout.thread_type = "AUTO"
        mixer = _Mixer(out, s, intervals, total)
        try:
            sub = None
            if cues:
                sub = out.add_stream("mov_text")
                sub.codec_context.subtitle_header = MOV_TEXT_HEADER
                sub.time_base = Fraction(1, 1000)
                sub.metadata["language"] = s.subtitle_language
            inter = _Interleaver(out, sub, cues if sub is not None else ())
            tail: list = []  # frames of the previous shot held back for a crossfade
            frame_index = 0
            burn = s.burn_in and bool(cues)
            for k, (shot, info) in enumerate(zip(shots, infos, strict=True)):
                # -- audio of shot k: bed + speech; flush everything before the next shot starts
                bed_fade_in = int(round(plan.overlaps[k] / s.fps * rate))
                nxt = plan.overlaps[k + 1] if k + 1 < len(shots) else 0
                bed_fade_out = int(round(nxt / s.fps * rate))
                length = a_end[k] - a_start[k]
                if shot.keep_clip_audio and info.has_audio:
                    with ClipAudioReader(shot.clip, rate, ch, info.video_start_s) as reader:
                        bed = reader.read(length)
                    bed *= gain_to_lufs(bed, rate, s.bed_lufs)
                    if bed_fade_in:
                        bed[:, :bed_fade_in] *= np.linspace(0, 1, bed_fade_in, dtype=np.float32)
                    if bed_fade_out:
                        bed[:, -bed_fade_out:] *= np.linspace(1, 0, bed_fade_out, dtype=np.float32)
                    mixer.add("bed", a_start[k], bed)
                for kk, begin, sp in placements:
                    if kk == k:
                        voice = read_audio(sp.wav, rate, ch)
                        voice *= gain_to_lufs(voice, rate, s.speech_lufs) * 10 ** (sp.gain_db / 20)
                        mixer.add("voice", begin, voice)
                flush_to = a_start[k + 1] if k + 1 < len(shots) else total
                inter.add_audio(mixer.flush(flush_to))
                # -- video of shot k; when copying, shot k-1's packets go now, so the audio of
                # shot k is encoded on the worker while they are muxed
                if sources is not None:
                    if k:
                        remux.clip(sources[k - 1], plan.starts_s[k - 1], inter)
                    continue
                n, ov_in = plan.frames[k], plan.overlaps[k]
                hold = plan.overlaps[k + 1] if k + 1 < len(shots) else 0
                held: list = []
                for i, frame in enumerate(_shot_frames(shot.clip, info, n, s)):
                    if i >= n - hold:
                        held.append(frame)
                        continue
                    if i < ov_in:
                        mix = _dip if shot.transition == "fade" else _blend
                        frame = mix(tail[i], frame, (i + 1) / (ov_in + 1))
                    t = frame_index / s.fps
                    if burn:
                        text = next((c.text for c in cues if c.start_s <= t < c.end_s), None)
                        if text:
                            frame = _burn(frame, text, s)
                    frame = frame.reformat(format=s.pix_fmt) if frame.format.name != s.pix_fmt else frame
                    frame.pts = frame_index
                    frame.time_base = Fraction(1, s.fps)
                    frame_index += 1
                    for pkt in vout.encode(frame):
                        inter.video(pkt, float(pkt.dts * pkt.time_base))
                tail = held
            if sources is not None:
                remux.clip(sources[-1], plan.starts_s[-1], inter)
            else:
                for pkt in vout.encode(None):
                    inter.video(pkt, float(pkt.dts * pkt.time_base))
            inter.add_audio(mixer.flush(total))
            inter.finish()
        finally:
            mixer.close()
    return plan, warnings


class _Remuxer:
    """Stream-copies clips into the film's video stream one after another.

    Timestamps are moved to the clip's start in the film (in the output time base); a clip
    whose parameter sets differ from the ones in force gets its SPS/PPS in-band at its first
    packet; decode timestamps are kept strictly increasing across a cut into a clip with
    B-frames (its first DTS lies before its start) without touching presentation times.
    """

    def __init__(self, out, vout, template_ps: tuple[int, bytes] | None) -> None:  # type: ignore[no-untyped-def]
        self.out, self.vout = out, vout
        self.active = template_ps[1] if template_ps else None
        self.last_dts: int | None = None  # in the output time base

    def clip(self, source: _Source, start_s: float, inter: _Interleaver) -> None:
        import av

        path = source.pending.result() if source.pending is not None else source.info.path
        info = source.info
        with av.open(str(path)) as src:
            stream = src.streams.video[0]
            tb = stream.time_base
            ps = _split_avcc(bytes(stream.codec_context.extradata or b""))
            prefix = ps[1] if ps is not None and ps[1] != self.active else b""
            if prefix:
                self.active = ps[1]  # type: ignore[index]
            out_tb = self.vout.time_base or tb
            # integer ticks of the output time base (the same as the clip's, usually)
            scale = Fraction(tb) / Fraction(out_tb)
            whole = scale.denominator == 1
            k = int(scale)
            offset = int(round(Fraction(start_s) / out_tb)) - int(round((stream.start_time or 0) * scale))
            limit = int(round(Fraction(start_s + (info.video_duration_s or 0)) / out_tb))
            slack = int(round(_ROUNDING_S / out_tb)) + max(1, k if whole else int(scale) + 1)
            seconds = float(out_tb)
            for pkt in src.demux(stream):
                if pkt.dts is None or pkt.size == 0:
                    continue
                if whole:
                    pts, dts, dur = pkt.pts * k + offset, pkt.dts * k + offset, (pkt.duration or 0) * k
                else:
                    pts = int(round(pkt.pts * scale)) + offset
                    dts = int(round(pkt.dts * scale)) + offset
                    dur = int(round((pkt.duration or 0) * scale))
                # MP4 declares durations in milliseconds (the edit list): a clip may run up to
                # 1 ms past its declared length without anything being wrong with it
                if pts + dur > limit + slack:
                    raise _CopyFailed(f"{path.name}: packets run past the declared duration")
                if self.last_dts is not None and dts <= self.last_dts:
                    dts = self.last_dts + 1
                    if dts > pts:
                        raise _CopyFailed(f"{path.name}: decode order cannot follow the cut")
                self.last_dts = dts
                if prefix:
                    new = av.Packet(prefix + bytes(pkt))
                    new.is_keyframe = pkt.is_keyframe
                    pkt, prefix = new, b""
                pkt.time_base = out_tb
                pkt.pts, pkt.dts, pkt.duration = pts, dts, dur
                pkt.stream = self.vout
                inter.video(pkt, dts * seconds)


def _write_copy(output: Path, shots: Sequence[AssemblyShot], infos: Sequence[MediaInfo],
                s: AssemblySettings, sources: list[_Source], speech_info: dict[Path, float]
                ) -> tuple[_Plan, list[str]]:
    """Stream-copy the film; clips that must be normalised are re-encoded alone, in film
    order, on one worker thread (the encoder is multi-threaded itself) while the clips
    before them are being copied."""
    import shutil
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    if not any(src.normalise for src in sources):
        return _write(output, shots, infos, s, sources, speech_info)
    work = Path(tempfile.mkdtemp(dir=output.parent, prefix=".normalise-"))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="normalise")
    try:
        sources = [attrs.evolve(src, pending=pool.submit(
            _normalise, shots[k].clip, infos[k], src.info.frames, s, work / f"{k:05d}.mp4"))
            if src.normalise else src for k, src in enumerate(sources)]
        for k, src in enumerate(sources):
            if src.normalise:
                log.info("assemble.normalise", clip=str(shots[k].clip), reason=src.normalise)
        return _write(output, shots, infos, s, sources, speech_info)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(work, ignore_errors=True)


class _CopyFailed(Exception):
    pass


#: how far a clip's packets may run past its declared duration (the container's rounding)
_ROUNDING_S = Fraction(1, 1000)


def _normalise(clip: Path, info: MediaInfo, frames: int, s: AssemblySettings,
               dest: Path) -> Path:
    """Re-encode one clip's video alone to the film's codec, size, rate and pixel format
    (its sound is mixed from the original like every other shot's)."""
    import av

    with av.open(str(dest), "w", format="mp4") as out:
        v = out.add_stream(s.codec, rate=s.fps)
        v.width, v.height, v.pix_fmt = s.width, s.height, s.pix_fmt
        v.time_base = Fraction(1, s.fps)
        v.options = {"crf": str(s.crf), "preset": s.preset}
        v.thread_type = "AUTO"
        for i, frame in enumerate(_shot_frames(clip, info, frames, s)):
            frame.pts, frame.time_base = i, Fraction(1, s.fps)
            frame.pict_type = av.video.frame.PictureType.NONE
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return dest


def _speech_seconds(path: Path) -> float:
    """Length of a speech file: from the header of a PCM WAV (what TTS writes), else probed."""
    import wave

    if path.suffix.lower() == ".wav" and path.is_file():
        try:
            with wave.open(str(path), "rb") as w:
                if w.getframerate() > 0 and w.getnframes() > 0:
                    return w.getnframes() / w.getframerate()
        except (wave.Error, EOFError, OSError):
            pass  # float or odd WAV: probe it
    info = probe(path)
    if not info.has_audio:
        raise MediaError(f"{path}: has no audio stream")
    return info.audio_duration_s or info.duration_s


def assemble(shots: Sequence[AssemblyShot], output: str | Path,
             settings: AssemblySettings) -> AssemblyResult:
    """Join ``shots`` into one MP4 at ``output`` (written atomically) and report how.

    Every clip is checked first (:class:`MediaError` names the bad one, nothing is
    written): headers, every packet demuxed, the first frame decoded. Decoding every frame
    is :func:`validate_clip`'s job when a clip is accepted (the engine's store then verifies
    it by hash), not repeated here. The output is probed afterwards and its measured
    durations returned.
    """
    import av

    if not shots:
        raise MediaError("nothing to assemble: no shots")
    output = Path(output)
    checked: dict[Path, MediaInfo] = {}
    for sh in shots:
        if sh.clip not in checked:
            checked[sh.clip] = validate_clip(sh.clip, decode_all=False)
    infos = [checked[sh.clip] for sh in shots]
    speech_info: dict[Path, float] = {}
    for sh in shots:
        for sp in sh.speech:
            if sp.wav not in speech_info:
                speech_info[sp.wav] = _speech_seconds(sp.wav)
            if sp.start_s < 0:
                raise MediaError(f"{sp.wav}: speech cannot start before its shot ({sp.start_s}s)")
    blockers = _film_blockers(shots, settings)
    sources, odd = ([], []) if blockers else _copy_sources(infos, settings)
    if not blockers and len(odd) == len(shots):
        blockers = odd  # nothing to copy: one encoder for the film is cheaper
    mode = "reencode" if blockers else "copy"
    if blockers:
        reason = "; ".join(blockers[:4]) + (f" (+{len(blockers) - 4} more)" if len(blockers) > 4 else "")
    elif odd:
        reason = (f"stream copy; {len(odd)} of {len(shots)} clips normalised alone: "
                  + "; ".join(odd[:4]) + (f" (+{len(odd) - 4} more)" if len(odd) > 4 else ""))
    elif len({(i.video_config, i.video_time_base) for i in infos}) > 1:
        reason = "stream copy; clips from different encoder settings carry their parameter sets"
    else:
        reason = "all clips share codec parameters"
    bound = log.bind(output=str(output), shots=len(shots))
    with atomic_output(output) as tmp:
        try:
            if mode == "copy":
                plan, warnings = _write_copy(tmp, shots, infos, settings, sources, speech_info)
            else:
                plan, warnings = _write(tmp, shots, infos, settings, None, speech_info)
        except (_CopyFailed, av.error.FFmpegError) as exc:
            if mode != "copy":
                raise MediaError(f"assembly of {output.name} failed: {exc}") from exc
            # not a warning: the film is re-encoded and comes out right; nothing to act on
            bound.info("assemble.copy_failed", reason=str(exc))
            mode, reason = "reencode", f"stream copy failed ({exc})"
            tmp.unlink(missing_ok=True)
            plan, warnings = _write(tmp, shots, infos, settings, None, speech_info)
        result_info = probe(tmp)
    video_d = result_info.video_duration_s or 0.0
    audio_d = result_info.audio_duration_s or 0.0
    for w in warnings:
        bound.warning("assemble.warning", detail=w)
    bound.info("assemble.done", mode=mode, duration_s=round(video_d, 3))
    return AssemblyResult(
        path=output, mode=mode, reason=reason, duration_s=result_info.duration_s,
        video_duration_s=video_d, audio_duration_s=audio_d, av_offset_s=audio_d - video_d,
        frames=result_info.frames,
        shots=tuple(ShotPlacement(clip=sh.clip, start_s=st, duration_s=d,
                                  has_clip_audio=info.has_audio and sh.keep_clip_audio)
                    for sh, st, d, info in zip(shots, plan.starts_s, plan.durations_s, infos, strict=True)),
        subtitle_cues=len(_clean_cues(settings.subtitles, plan.total_s)),
        warnings=tuple(warnings),
    )
