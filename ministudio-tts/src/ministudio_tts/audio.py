"""WAV in and out, and an energy envelope to find where speech starts and stops.

Durations are always measured from the samples written (never from an engine's estimate), so a
narration track is exactly as long as the audio in it.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from ministudio.errors import MediaError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Envelope", "decode_wav", "to_int16", "write_wav"]

FRAME_S = 0.005


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] (or int16 already) as mono int16."""
    import numpy as np

    a = np.asarray(samples)
    if a.dtype == np.int16:
        return a.reshape(-1)
    return (np.clip(a.astype(np.float64), -1.0, 1.0) * 32767.0).round().astype(np.int16).reshape(-1)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> float:
    """Write mono 16-bit PCM; return the duration in seconds measured from the samples."""
    pcm = to_int16(samples)
    if pcm.size == 0:
        raise MediaError("the engine produced no audio")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)
    return pcm.size / sample_rate


def decode_wav(data: bytes, *, default_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Mono int16 samples and the rate from WAV bytes (or raw PCM with ``default_rate``).

    Tolerates streaming headers whose chunk sizes are 0 or 0xFFFFFFFF (OpenAI writes those).
    Multi-channel audio is mixed down.
    """
    import numpy as np

    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        if default_rate is None:
            raise MediaError("audio is not a WAV file")
        return np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.int16), default_rate
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[body : body + 16])
        elif cid == b"data":
            end = len(data) if size in (0, 0xFFFFFFFF) or body + size > len(data) else body + size
            pcm = data[body:end]
            break
        pos = body + size + (size & 1)
    if fmt is None or pcm is None:
        raise MediaError("WAV file has no fmt or data chunk")
    tag, channels, rate, _, _, bits = fmt
    if tag not in (1, 0xFFFE) or bits != 16:
        raise MediaError(f"unsupported WAV encoding (format {tag}, {bits} bits)")
    a = np.frombuffer(pcm[: len(pcm) // (2 * channels) * 2 * channels], dtype="<i2")
    if channels > 1:
        a = a.reshape(-1, channels).mean(axis=1).round()
    return a.astype(np.int16), int(rate)


class Envelope:
    """RMS energy in 5 ms frames; ``voiced[i]`` is true where frame ``i`` is above the floor.

    The floor is 35 dB under the loud frames (95th percentile), so it adapts to the engine's
    level and ignores breath and noise.
    """

    def __init__(self, samples: np.ndarray, sample_rate: int, *, floor_db: float = -35.0):
        import numpy as np

        self.sample_rate = sample_rate
        self.hop = max(1, int(round(sample_rate * FRAME_S)))
        #: exact frame length in seconds (the hop is a whole number of samples)
        self.frame_s = self.hop / sample_rate
        x = np.asarray(samples, dtype=np.float64).reshape(-1)
        n = len(x) // self.hop
        frames = x[: n * self.hop].reshape(n, self.hop) if n else np.zeros((0, self.hop))
        self.rms = np.sqrt((frames**2).mean(axis=1)) if n else np.zeros(0)
        loud = float(np.percentile(self.rms, 95)) if n else 0.0
        self.threshold = max(loud * 10 ** (floor_db / 20), 1e-9)
        self.voiced = self.rms > self.threshold
        self.duration_s = len(x) / sample_rate

    def _frame(self, t: float) -> int:
        return int(max(0, min(len(self.rms), round(t / self.frame_s))))

    def last_voiced_end(self, start_s: float, stop_s: float) -> float | None:
        """End time of the last voiced frame in ``[start_s, stop_s)``, or None if all silent."""
        import numpy as np

        a, b = self._frame(start_s), self._frame(stop_s)
        idx = np.flatnonzero(self.voiced[a:b])
        return None if idx.size == 0 else min(stop_s, (a + int(idx[-1]) + 1) * self.frame_s)

    def first_voiced_start(self, start_s: float, stop_s: float) -> float | None:
        import numpy as np

        a, b = self._frame(start_s), self._frame(stop_s)
        idx = np.flatnonzero(self.voiced[a:b])
        return None if idx.size == 0 else max(start_s, (a + int(idx[0])) * self.frame_s)

    def onsets(self, *, min_gap_s: float = 0.04) -> list[float]:
        """Times where sound starts after at least ``min_gap_s`` of silence (and the first one)."""
        out: list[float] = []
        gap = int(round(min_gap_s / self.frame_s))
        silent_run = gap
        for i, v in enumerate(self.voiced):
            if v:
                if silent_run >= gap:
                    out.append(i * self.frame_s)
                silent_run = 0
            else:
                silent_run += 1
        return out

    def pauses(self, *, min_s: float = 0.12) -> list[tuple[float, float]]:
        """Silent stretches of at least ``min_s`` between voiced frames, as (start, end)."""
        out: list[tuple[float, float]] = []
        idx = [i for i, v in enumerate(self.voiced) if v]
        for a, b in zip(idx, idx[1:], strict=False):
            if (b - a - 1) * self.frame_s >= min_s:
                out.append(((a + 1) * self.frame_s, b * self.frame_s))
        return out
