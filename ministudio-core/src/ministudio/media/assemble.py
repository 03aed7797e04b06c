"""Assembling shots into a film: video stream copy (or one normalising re-encode), one
continuous mixed AAC track, transitions, and subtitles, written atomically.

Timeline
    Shot ``k`` starts at ``S_k``; with cuts ``S_k = S_{k-1} + D_{k-1}``; a crossfade into
    shot ``k`` overlaps it with the end of shot ``k-1`` by ``transition_s`` (whole frames).
    Audio positions are derived from the same numbers in samples
    (``round(S_k * rate)``), so audio and video can never drift apart.

Video
    *copy*: every clip has the film's codec, size, frame rate, pixel format and the same
    decoder configuration (SPS/PPS): packets are remuxed with shifted timestamps, nothing is
    decoded. *re-encode*: anything else (different sizes or codecs, crossfades, burn-in):
    frames are decoded one at a time, resampled to the film's frame rate, scaled (and
    letterboxed) to its size, and encoded once with ``settings.codec``/``crf``/``preset``.

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
import structlog

from ministudio.errors import MediaError
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

log = structlog.get_logger(__name__)

_CODEC_FAMILY = {"libx264": "h264", "h264": "h264", "libx265": "hevc", "hevc": "hevc",
                 "libvpx-vp9": "vp9", "libsvtav1": "av1", "libaom-av1": "av1", "mpeg4": "mpeg4"}
_TRANSITIONS = ("cut", "crossfade")


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
    """What :func:`assemble` wrote. ``mode`` is ``copy`` or ``reencode`` (``reason`` says why)."""

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


def _copy_blockers(infos: Sequence[MediaInfo], shots: Sequence[AssemblyShot],
                   s: AssemblySettings) -> list[str]:
    why: list[str] = []
    if s.force_reencode:
        why.append("re-encode forced")
    if s.burn_in and s.subtitles:
        why.append("burn-in subtitles")
    if any(sh.transition == "crossfade" for sh in shots[1:]):
        why.append("crossfade transition")
    family = _CODEC_FAMILY.get(s.codec, s.codec)
    first = infos[0]
    for info in infos:
        name = info.path.name
        if info.video_codec != family:
            why.append(f"{name}: codec {info.video_codec} (film: {family})")
        elif (info.width, info.height) != (s.width, s.height):
            why.append(f"{name}: size {info.width}x{info.height} (film: {s.width}x{s.height})")
        elif info.fps_fraction != s.fps:
            why.append(f"{name}: {info.fps:g} fps (film: {s.fps})")
        elif info.pix_fmt != s.pix_fmt:
            why.append(f"{name}: pixel format {info.pix_fmt}")
        elif (info.video_config, info.video_time_base) != (first.video_config,
                                                          first.video_time_base):
            why.append(f"{name}: different encoder parameters")
        if why and len(why) > 3:
            break
    return why


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
                  if sh.transition == "crossfade" else 0)
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
        packets: list = []
        for pos in range(0, data.shape[1], 1024):
            packets += self._encode(data[:, pos: pos + 1024])
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
        return frame.reformat(width=w, height=h, format=s.pix_fmt)
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
           s: AssemblySettings, copy: bool, speech_info: dict[Path, float]
           ) -> tuple[_Plan, list[str]]:
    import av
    import numpy as np

    from ministudio.media.audio import ClipAudioReader, gain_to_lufs, read_audio

    plan = _plan(infos, shots, s, copy)
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
        if copy:
            with av.open(str(shots[0].clip)) as first:
                vout = out.add_stream_from_template(first.streams.video[0])
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
                if copy:
                    if k:
                        _remux(out, vout, shots[k - 1].clip, infos[k - 1], plan.starts_s[k - 1], inter)
                    continue
                n, ov_in = plan.frames[k], plan.overlaps[k]
                hold = plan.overlaps[k + 1] if k + 1 < len(shots) else 0
                held: list = []
                for i, frame in enumerate(_shot_frames(shot.clip, info, n, s)):
                    if i >= n - hold:
                        held.append(frame)
                        continue
                    if i < ov_in:
                        frame = _blend(tail[i], frame, (i + 1) / (ov_in + 1))
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
            if copy:
                _remux(out, vout, shots[-1].clip, infos[-1], plan.starts_s[-1], inter)
            else:
                for pkt in vout.encode(None):
                    inter.video(pkt, float(pkt.dts * pkt.time_base))
            inter.add_audio(mixer.flush(total))
            inter.finish()
        finally:
            mixer.close()
    return plan, warnings


def _remux(out, vout, clip: Path, info: MediaInfo, start_s: float,
           inter: _Interleaver) -> None:  # type: ignore[no-untyped-def]
    import av

    with av.open(str(clip)) as src:
        stream = src.streams.video[0]
        tb = stream.time_base
        origin = stream.start_time or 0
        offset = int(round(start_s / tb)) - origin
        limit = int(round((start_s + (info.video_duration_s or 0)) / tb))
        for pkt in src.demux(stream):
            if pkt.dts is None or pkt.size == 0:
                continue
            pkt.pts += offset
            pkt.dts += offset
            if pkt.pts + (pkt.duration or 0) > limit + 1:
                raise _CopyFailed(f"{clip.name}: packets run past the declared duration")
            pkt.stream = vout
            inter.video(pkt, float(pkt.dts * tb))


class _CopyFailed(Exception):
    pass


def assemble(shots: Sequence[AssemblyShot], output: str | Path,
             settings: AssemblySettings) -> AssemblyResult:
    """Join ``shots`` into one MP4 at ``output`` (written atomically) and report how.

    Every clip is validated first (:class:`MediaError` names the bad one, nothing is
    written). The output is probed afterwards and its measured durations returned.
    """
    import av

    if not shots:
        raise MediaError("nothing to assemble: no shots")
    output = Path(output)
    infos = [validate_clip(sh.clip) for sh in shots]
    speech_info: dict[Path, float] = {}
    for sh in shots:
        for sp in sh.speech:
            if sp.wav not in speech_info:
                info = probe(sp.wav)
                if not info.has_audio:
                    raise MediaError(f"{sp.wav}: has no audio stream")
                speech_info[sp.wav] = info.audio_duration_s or info.duration_s
            if sp.start_s < 0:
                raise MediaError(f"{sp.wav}: speech cannot start before its shot ({sp.start_s}s)")
    blockers = _copy_blockers(infos, shots, settings)
    mode = "reencode" if blockers else "copy"
    reason = "; ".join(blockers) if blockers else "all clips share codec parameters"
    bound = log.bind(output=str(output), shots=len(shots))
    with atomic_output(output) as tmp:
        try:
            plan, warnings = _write(tmp, shots, infos, settings, mode == "copy", speech_info)
        except (_CopyFailed, av.error.FFmpegError) as exc:
            if mode != "copy":
                raise MediaError(f"assembly of {output.name} failed: {exc}") from exc
            bound.warning("assemble.copy_failed", reason=str(exc))
            mode, reason = "reencode", f"stream copy failed ({exc})"
            tmp.unlink(missing_ok=True)
            plan, warnings = _write(tmp, shots, infos, settings, False, speech_info)
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
