"""Audio building blocks for assembly: decode/resample, loudness (ITU-R BS.1770), ducking.

Samples are float32 arrays shaped ``(channels, n)`` in [-1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

from ministudio.errors import MediaError

__all__ = [
    "ClipAudioReader",
    "duck_gain",
    "gain_to_lufs",
    "integrated_loudness",
    "read_audio",
    "soft_limit",
    "write_wav",
]

_LAYOUTS = {1: "mono", 2: "stereo"}


def write_wav(path: str | Path, samples, rate: int) -> Path:  # type: ignore[no-untyped-def]
    """Write float samples ``(channels, n)`` as 16-bit PCM WAV (atomically)."""
    import av
    import numpy as np

    from ministudio.media.atomic import atomic_output

    data = np.atleast_2d(np.asarray(samples, np.float32))
    pcm = (np.clip(data, -1, 1) * 32767).astype("<i2")
    with atomic_output(path) as tmp, av.open(str(tmp), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=rate)
        stream.layout = _LAYOUTS.get(data.shape[0], "stereo")
        step = 4096
        for pos in range(0, pcm.shape[1], step):
            chunk = np.ascontiguousarray(pcm[:, pos: pos + step].T).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout=stream.layout.name)
            frame.sample_rate = rate
            frame.pts = pos
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return Path(path)


class ClipAudioReader:
    """Sequential decoder of a file's first audio stream, resampled to ``rate``/``channels``.

    :meth:`read` returns exactly ``n`` samples, padded with silence after the end (a clip
    without audio reads as silence). Encoder priming is already removed by the decoder; the
    first sample is aligned with the video start (a late audio start is padded).
    """

    def __init__(self, path: str | Path | None, rate: int, channels: int,
                 video_start_s: float = 0.0) -> None:
        self.rate, self.channels = rate, channels
        self._buf: list = []
        self._buffered = 0
        self._iter: Iterator | None = None
        self._container = None
        self._lead = 0
        if path is not None:
            self._open(Path(path), video_start_s)

    def _open(self, path: Path, video_start_s: float) -> None:
        import av

        # a WAV's header says everything: probing 5 MB of it costs ~12 ms an open
        options = {"probesize": "4096"} if path.suffix.lower() == ".wav" else None
        try:
            self._container = av.open(str(path), options=options)
        except av.error.FFmpegError as exc:
            raise MediaError(f"{path}: not readable audio ({exc})") from exc
        if not self._container.streams.audio:
            self.close()
            return
        stream = self._container.streams.audio[0]
        self._resampler = av.AudioResampler(
            format="fltp", layout=_LAYOUTS.get(self.channels, "stereo"), rate=self.rate
        )
        self._iter = self._frames(stream, video_start_s)

    def _frames(self, stream, video_start_s: float):  # type: ignore[no-untyped-def]
        first = True
        for frame in self._container.decode(stream):
            if first and frame.pts is not None:
                first = False
                offset = float(frame.pts * stream.time_base) - video_start_s
                self._lead = int(round(offset * self.rate))
                if self._lead > 0:
                    import numpy as np

                    yield np.zeros((self.channels, self._lead), np.float32)
            for out in self._resampler.resample(frame):
                yield out.to_ndarray()
        for out in self._resampler.resample(None):
            yield out.to_ndarray()

    def read(self, n: int):  # type: ignore[no-untyped-def]
        import numpy as np

        while self._buffered < n and self._iter is not None:
            try:
                chunk = next(self._iter)
            except StopIteration:
                self.close()
                break
            except Exception as exc:  # noqa: BLE001 - a damaged audio track reads as silence
                self.close()
                raise MediaError(f"audio decode failed: {exc}") from exc
            if self._lead < 0:  # audio started before the video: drop the early part
                drop = min(-self._lead, chunk.shape[1])
                chunk = chunk[:, drop:]
                self._lead += drop
            if chunk.shape[1]:
                self._buf.append(chunk.astype(np.float32, copy=False))
                self._buffered += chunk.shape[1]
        data = np.concatenate(self._buf, axis=1) if self._buf else np.zeros(
            (self.channels, 0), np.float32)
        out, rest = data[:, :n], data[:, n:]
        self._buf = [rest] if rest.shape[1] else []
        self._buffered = rest.shape[1]
        if out.shape[1] < n:
            out = np.pad(out, ((0, 0), (0, n - out.shape[1])))
        return out

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
        self._iter = None

    def __enter__(self) -> ClipAudioReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_audio(path: str | Path, rate: int, channels: int = 1):  # type: ignore[no-untyped-def]
    """Decode a whole audio file (speech WAVs are short) to ``(channels, n)`` float32."""
    import numpy as np

    with ClipAudioReader(path, rate, channels) as reader:
        parts = []
        while True:
            chunk = reader.read(rate * 10)
            done = reader._iter is None and reader._buffered == 0
            parts.append(chunk)
            if done:
                break
    data = np.concatenate(parts, axis=1)
    nz = np.flatnonzero(np.abs(data).max(axis=0) > 0)
    end = int(nz[-1]) + 1 if nz.size else 0
    return data[:, :end]


# -- loudness (ITU-R BS.1770-4 integrated loudness, gated) ------------------------------------


def integrated_loudness(samples, rate: int) -> float:  # type: ignore[no-untyped-def]
    """Gated integrated loudness in LUFS (``-inf`` for silence or < 400 ms of audio).

    Measured by FFmpeg's ``ebur128`` filter (ITU-R BS.1770-4 / EBU R128: K-weighting,
    400 ms blocks every 100 ms, absolute gate -70 LUFS, relative gate -10 LU) in C, on
    one-second frames pushed through a filter graph."""
    import av
    import numpy as np

    data = np.atleast_2d(np.asarray(samples, np.float32))
    channels, n = data.shape
    if n < int(0.4 * rate) or not np.any(data):
        return float("-inf")
    layout = _LAYOUTS.get(channels)
    if layout is None:  # BS.1770 weights beyond stereo differ by channel: not needed here
        raise ValueError(f"loudness of {channels}-channel audio is not supported")
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="fltp", sample_rate=rate, layout=layout, channels=channels)
    meter = graph.add("ebur128", "metadata=1:peak=none")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last = None

    def drain() -> None:
        nonlocal last
        while True:
            try:
                last = graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return

    for pos in range(0, n, rate):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, pos: pos + rate]),
                                           format="fltp", layout=layout)
        frame.sample_rate = rate
        frame.pts = pos
        graph.push(frame)
        drain()
    graph.push(None)
    drain()
    value = float(last.metadata.get("lavfi.r128.I", "-inf")) if last is not None else -math.inf
    return value if value > -70.0 else float("-inf")


def gain_to_lufs(samples, rate: int, target_lufs: float, max_gain_db: float = 20.0) -> float:  # type: ignore[no-untyped-def]
    """Linear gain that brings ``samples`` to ``target_lufs`` (1.0 for silence)."""
    loud = integrated_loudness(samples, rate)
    if not math.isfinite(loud):
        return 1.0
    return 10 ** (min(target_lufs - loud, max_gain_db) / 20)


def duck_gain(start: int, n: int, intervals: Sequence[tuple[int, int]], *, depth_db: float,
              attack: int, release: int):  # type: ignore[no-untyped-def]
    """Gain curve for samples ``[start, start+n)``: 1 outside speech, ``depth_db`` inside,
    with linear ramps ``attack`` samples before each interval and ``release`` after it.
    ``intervals`` are absolute ``(begin, end)`` sample positions of speech (known in advance,
    so the ramp leads the speech instead of cutting into it)."""
    import numpy as np

    low = 10 ** (-abs(depth_db) / 20)
    duck = np.zeros(n, np.float32)
    for begin, end in intervals:
        a, b = max(begin - attack, start), min(end + release, start + n)
        if b <= a:
            continue
        # only the span this interval touches is computed (ramps, then full depth)
        t = np.arange(a, b, dtype=np.float64)
        up = np.clip((t - (begin - attack)) / max(attack, 1), 0, 1)
        down = np.clip(((end + release) - t) / max(release, 1), 0, 1)
        span = duck[a - start: b - start]
        np.maximum(span, np.minimum(up, down).astype(np.float32), out=span)
    return (1.0 - duck * np.float32(1.0 - low)).astype(np.float32)


def soft_limit(samples, ceiling_db: float = -1.0):  # type: ignore[no-untyped-def]
    """Leave samples below the knee alone; compress peaks smoothly under ``ceiling_db``."""
    import numpy as np

    c = 10 ** (ceiling_db / 20)
    knee = 0.8 * c
    x = np.asarray(samples, np.float32)
    mag = np.abs(x)
    over = mag > knee
    if not over.any():
        return x
    y = x.copy()
    span = c - knee
    y[over] = np.sign(x[over]) * (knee + span * np.tanh((mag[over] - knee) / span))
    return y
