from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ministudio.dispatch import Dispatcher, RetryPolicy
from ministudio.plugins import PluginManager
from ministudio.requests import SpeechRequest, SpeechResult

import ministudio_tts.plugin
from ministudio_tts.audio import Envelope
import wave
import io
import struct
import types
import numpy as np


def make_dispatcher(env: dict[str, str] | None = None, transport: Any = None) -> Dispatcher:
    pm = PluginManager(load_entrypoints=False, env=env or {})
    pm.register(ministudio_tts.plugin, "tts")
    return Dispatcher(pm, env=env or {}, transport=transport, retry=RetryPolicy(attempts=1))


@pytest.fixture
def speak(tmp_path: Path):
    def run(dispatcher: Dispatcher | None = None, **kwargs: Any) -> SpeechResult:
        d = dispatcher or make_dispatcher()
        return asyncio.run(d.synthesize_speech(SpeechRequest(**kwargs), workdir=tmp_path / "out"))

    return run


def load(result: SpeechResult) -> np.ndarray:
    with wave.open(str(result.path)) as w:
        assert w.getframerate() == result.sample_rate
        assert w.getnchannels() == 1
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    assert abs(len(data) / result.sample_rate - result.duration_s) < 1e-6
    return data


def check_words(result: SpeechResult, text: str) -> None:
    assert " ".join(w.word for w in result.words) == " ".join(text.split())
    last = 0.0
    for w in result.words:
        assert last <= w.start_s <= w.end_s <= result.duration_s, w
        last = w.end_s


def onset_errors(result: SpeechResult, samples: np.ndarray, *, min_gap_s: float = 0.1) -> list[float]:
    """For every sound onset that follows an audible pause (>= min_gap_s of silence, where a
    listener hears a word begin), the distance to the nearest word start in seconds. Onsets
    well inside a word's own span (a pause within one written word) are skipped."""
    env = Envelope(samples, result.sample_rate)
    starts = np.array([w.start_s for w in result.words])
    out = []
    for t in env.onsets(min_gap_s=min_gap_s):
        # a pause inside one word ("nineteen | eighty-four" for "1984") is not a word start
        if any(w.start_s + 0.1 < t < w.end_s for w in result.words):
            continue
        out.append(float(np.min(np.abs(starts - t))))
    return out


@pytest.fixture
def checks() -> types.SimpleNamespace:
    """Shared result checks (conftest modules are not importable with --import-mode=importlib)."""
    return types.SimpleNamespace(load=load, check_words=check_words, onset_errors=onset_errors)


@pytest.fixture
def dispatcher_for():
    """``dispatcher_for(env=..., transport=...)``: a Dispatcher with only this plugin, no retries."""
    return make_dispatcher


def wav_bytes(samples: np.ndarray, rate: int, *, streaming: bool = False) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())
    data = bytearray(buf.getvalue())
    if streaming:  # how streamed WAV headers look: unknown sizes
        data[4:8] = struct.pack("<I", 0xFFFFFFFF)
        data[40:44] = struct.pack("<I", 0xFFFFFFFF)
    return bytes(data)


@pytest.fixture(scope="session")
def real_speech():
    """Real speech audio (espeak) and its exact word starts, to serve from mock APIs."""
    from ministudio_tts.engines import espeak

    def make(text: str) -> tuple[np.ndarray, int, list[float]]:
        from ministudio_tts.text import tokenize

        syn = espeak.synthesize(text, voice="en-US")
        starts: list[float] = []
        for tok in tokenize(text):  # the first word event inside each token
            hit = [s for pos, s in syn.words if tok.start <= pos - 1 < tok.end]
            starts.append(hit[0] / syn.sample_rate if hit else (starts[-1] if starts else 0.0))
        return syn.samples, syn.sample_rate, starts

    return make


@pytest.fixture
def wav_of():
    return wav_bytes
