"""Audio building blocks for assembly: decode/resample, loudness (ITU-R BS.1770), ducking.

Samples are float32 arrays shaped ``(channels, n)`` in [-1, 1].
"""

from __future__ import annotations

import functools
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

        try:
            self._container = av.open(str(path))
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


@functools.lru_cache(maxsize=8)
def _k_weighting_response(n_fft: int, rate: int):  # type: ignore[no-untyped-def]
    import numpy as np

    def biquad(b, a):  # type: ignore[no-untyped-def]
        w = np.exp(-1j * np.linspace(0, np.pi, n_fft // 2 + 1))
        return (b[0] + b[1] * w + b[2] * w**2) / (a[0] + a[1] * w + a[2] * w**2)

    # stage 1: high shelf (+4 dB above ~1.5 kHz); stage 2: high-pass at ~38 Hz (RLB)
    G, Q, fc = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    K = math.tan(math.pi * fc / rate)
    Vh = 10 ** (G / 20)
    Vb = Vh**0.4996667741545416
    a0 = 1 + K / Q + K * K
    b1 = [(Vh + Vb * K / Q + K * K) / a0, 2 * (K * K - Vh) / a0, (Vh - Vb * K / Q + K * K) / a0]
    a1 = [1.0, 2 * (K * K - 1) / a0, (1 - K / Q + K * K) / a0]
    Q2, fc2 = 0.5003270373238773, 38.13547087602444
    K2 = math.tan(math.pi * fc2 / rate)
    a02 = 1 + K2 / Q2 + K2 * K2
    b2 = [1.0, -2.0, 1.0]
    a2 = [1.0, 2 * (K2 * K2 - 1) / a02, (1 - K2 / Q2 + K2 * K2) / a02]
    return biquad(b1, a1) * biquad(b2, a2)


def _fft_size(n: int) -> int:
    """The smallest 2^a·3^b·5^c >= n (pocketfft is fast on these; a power of two can be
    almost twice as long)."""
    best = 1 << int(math.ceil(math.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p = p35
            while p < n:
                p *= 2
            best = min(best, p)
            p35 *= 3
        p5 *= 5
    return best


def integrated_loudness(samples, rate: int) -> float:  # type: ignore[no-untyped-def]
    """Gated integrated loudness in LUFS (``-inf`` for silence or < 400 ms of audio)."""
    import numpy as np

    data = np.atleast_2d(np.asarray(samples, np.float32))
    n = data.shape[1]
    block, hop = int(0.4 * rate), int(0.1 * rate)
    if n < block or not np.any(data):
        return float("-inf")
    # K-weighting applied in the frequency domain, in single precision (ample for a level
    # measurement); the running sums below stay in double precision
    n_fft = _fft_size(n + rate // 10)
    resp = _k_weighting_response(n_fft, rate).astype(np.complex64)
    weighted = np.fft.irfft(np.fft.rfft(data, n_fft, axis=1) * resp, n_fft, axis=1)[:, :n]
    sq = np.cumsum(np.pad(weighted.astype(np.float64) ** 2, ((0, 0), (1, 0))), axis=1)
    starts = np.arange(0, n - block + 1, hop)
    power = ((sq[:, starts + block] - sq[:, starts]) / block).sum(axis=0)
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(power)
    gated = power[lk > -70.0]
    if gated.size == 0:
        return float("-inf")
    rel = -0.691 + 10 * np.log10(gated.mean()) - 10.0
    final = power[(lk > -70.0) & (lk > rel)]
    return float(-0.691 + 10 * np.log10(final.mean()))


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
    t = np.arange(start, start + n, dtype=np.float64)
    duck = np.zeros(n)
    for begin, end in intervals:
        if end + release < start or begin - attack > start + n:
            continue
        up = np.clip((t - (begin - attack)) / max(attack, 1), 0, 1)
        down = np.clip(((end + release) - t) / max(release, 1), 0, 1)
        duck = np.maximum(duck, np.minimum(up, down))
    return (1.0 - duck * (1.0 - low)).astype(np.float32)


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
